package org.kimserver.itest.failinghandler;

import org.kimserver.api.CommandHandler;
import org.kimserver.api.Reply;
import org.kimserver.api.Request;

/** Packed into a test bundle whose handler component fails to activate when the gate asks for the service. */
public class FailingHandler implements CommandHandler {
    public void activate() {
        throw new IllegalStateException("itest handler refuses to start");
    }

    @Override
    public Reply handle(Request request) {
        return Reply.ok("ok", "never");
    }
}
