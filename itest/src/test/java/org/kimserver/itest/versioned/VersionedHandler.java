package org.kimserver.itest.versioned;

import java.util.Map;
import org.kimserver.api.CommandHandler;
import org.kimserver.api.Reply;
import org.kimserver.api.Request;

/**
 * Packed into versions of one test bundle; answers with the {@code reply} property of its component, or throws on
 * every request when its {@code fails} property is true (a version whose handler is broken); its activation takes
 * {@code activate_ms}.
 */
public class VersionedHandler implements CommandHandler {
    private volatile String reply;
    private volatile boolean fails;

    public void activate(Map<String, Object> properties) throws InterruptedException {
        reply = String.valueOf(properties.get("reply"));
        fails = Boolean.parseBoolean(String.valueOf(properties.get("fails")));
        Thread.sleep(Long.parseLong(String.valueOf(properties.getOrDefault("activate_ms", "0"))));
    }

    @Override
    public Reply handle(Request request) {
        if (fails) {
            throw new IllegalStateException("itest: version " + reply + " fails every request");
        }
        return Reply.ok("ok", reply);
    }
}
