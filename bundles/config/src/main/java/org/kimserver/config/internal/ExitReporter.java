package org.kimserver.config.internal;

import java.util.Arrays;
import java.util.Map;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says in the log that the JVM is exiting, and who asked, before anything stops: a signal (SIGTERM from
 * {@code bin/kimserver stop}, SIGINT, SIGHUP) or a call of System.exit, with the caller's stack. Without it, a
 * module that calls System.exit ends the server with no trace in the log.
 *
 * <p>A stop of the framework itself (the console's {@code stop 0}, Ctrl-C in {@code run}) deactivates this
 * component first, so the hook is gone by the time the launcher exits the JVM.
 */
@Component(immediate = true, service = {})
public final class ExitReporter {
    private static final Logger LOG = LoggerFactory.getLogger(ExitReporter.class);

    private Thread hook;

    @Activate
    void activate() {
        hook = new Thread(() -> report(Thread.getAllStackTraces()), "kimserver-exit-reporter");
        Runtime.getRuntime().addShutdownHook(hook);
    }

    @Deactivate
    void deactivate() {
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs, or has run
        }
    }

    /** Logs who asked the JVM to exit, from the stacks of its threads at that moment. */
    static void report(Map<Thread, StackTraceElement[]> stacks) {
        for (var thread : stacks.entrySet()) {
            String name = thread.getKey().getName();
            int call = exitCall(thread.getValue());
            if (call < 0) {
                continue;
            }
            if (name.matches("SIG[A-Z0-9]+ handler")) {
                LOG.warn("the JVM is exiting: signal {}", name.substring(0, name.indexOf(' ')));
            } else {
                Throwable caller = new Throwable("System.exit was called here, by thread \"" + name + "\"");
                caller.setStackTrace(Arrays.copyOfRange(thread.getValue(), call, thread.getValue().length));
                LOG.warn("the JVM is exiting: System.exit called by thread \"{}\"", name, caller);
            }
            return;
        }
        LOG.warn("the JVM is exiting: its last non-daemon thread ended (no thread is in System.exit)");
    }

    /**
     * The index of the outermost frame of a call of System.exit or Runtime.exit (a signal handler thread calls
     * the JDK's Shutdown.exit instead), or -1 when the stack holds none.
     */
    static int exitCall(StackTraceElement[] stack) {
        for (int i = stack.length - 1; i >= 0; i--) {
            String type = stack[i].getClassName();
            if (stack[i].getMethodName().equals("exit") && (type.equals("java.lang.System")
                    || type.equals("java.lang.Runtime") || type.equals("java.lang.Shutdown"))) {
                return i;
            }
        }
        return -1;
    }
}
