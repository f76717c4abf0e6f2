package org.kimserver.benchmodule.internal;

import java.util.concurrent.TimeUnit;
import org.kimserver.api.CommandHandler;
import org.kimserver.api.Reply;
import org.kimserver.api.Request;
import org.osgi.service.component.annotations.Component;

/**
 * cmd 2001: sleeps 1 ms, then answers "ok" / "slept 1 ms". A stand-in for a handler that makes one quick query: it
 * blocks (so it runs on the blocking path) and costs the CPU of almost nothing, so a benchmark of it measures what
 * the path adds to the wait. The original's equivalent is a coroutine that sleeps 1 ms in its connection's loop.
 */
@Component(property = CommandHandler.CMD + "=2001")
public final class SleepHandler implements CommandHandler {
    private static final Reply SLEPT = Reply.ok("ok", "slept 1 ms");

    @Override
    public Reply handle(Request request) throws InterruptedException {
        TimeUnit.MILLISECONDS.sleep(1);
        return SLEPT;
    }
}
