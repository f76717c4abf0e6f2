package org.kimserver.benchmodule.internal;

import org.kimserver.api.CommandHandler;
import org.kimserver.api.Reply;
import org.kimserver.api.Request;
import org.osgi.service.component.annotations.Component;

/**
 * cmd 2002: answers "ok" at once, but declares nothing about blocking, so it runs on the blocking path. Against
 * 1001 (the same reply on the network thread) it measures what the blocking path costs; against 1007 (the same
 * path) what the session handler's own work costs.
 */
@Component(property = CommandHandler.CMD + "=2002")
public final class BlockingNoopHandler implements CommandHandler {
    private static final Reply OK = Reply.ok("ok", "good job!");

    @Override
    public Reply handle(Request request) {
        return OK;
    }
}
