package org.kimserver.itest.exiting;

import org.kimserver.api.CommandHandler;
import org.kimserver.api.Reply;
import org.kimserver.api.Request;

/** Packed into a test bundle whose handler ends the JVM with System.exit, on the virtual thread the gate gives it. */
public class ExitingHandler implements CommandHandler {
    @Override
    public Reply handle(Request request) {
        System.exit(9);
        return Reply.ok("ok", "never");
    }
}
