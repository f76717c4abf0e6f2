package org.kimserver.moduletest.internal;

import org.kimserver.api.CommandHandler;
import org.kimserver.api.Reply;
import org.kimserver.api.Request;
import org.osgi.service.component.annotations.Component;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * cmd 1001, the original's KP_REQ_TEST_HELLO: answers "ok" / "good job!". It never blocks, so it says so and is
 * called on the network thread.
 */
@Component(property = {CommandHandler.CMD + "=1001", CommandHandler.NON_BLOCKING + "=true"})
public final class HelloHandler implements CommandHandler {
    private static final Logger LOG = LoggerFactory.getLogger(HelloHandler.class);
    private static final Reply GOOD_JOB = Reply.ok("ok", "good job!");

    @Override
    public Reply handle(Request request) {
        if (LOG.isDebugEnabled()) {
            LOG.debug("hello: cmd {} seq {} data {}", request.cmd(), request.seq(), request.dataAsString());
        }
        return GOOD_JOB;
    }
}
