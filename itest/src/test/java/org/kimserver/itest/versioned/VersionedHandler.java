package org.kimserver.itest.versioned;

import java.util.Map;
import org.kimserver.api.CommandHandler;
import org.kimserver.api.Reply;
import org.kimserver.api.Request;

/** Packed into two versions of one test bundle; answers with the {@code reply} property of its component. */
public class VersionedHandler implements CommandHandler {
    private volatile String reply;

    public void activate(Map<String, Object> properties) {
        reply = String.valueOf(properties.get("reply"));
    }

    @Override
    public Reply handle(Request request) {
        return Reply.ok("ok", reply);
    }
}
