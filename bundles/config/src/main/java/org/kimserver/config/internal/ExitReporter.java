package org.kimserver.config.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javax.management.JMException;
import javax.management.ObjectName;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Says in the log that the JVM is exiting, and who asked, before anything stops: a signal (SIGTERM from
 * {@code bin/kimserver stop}, SIGINT) or a call of System.exit, with the caller's stack. Without it, a
 * module that calls System.exit ends the server with no trace in the log.
 *
 * <p>Handlers run on virtual threads, which {@link Thread#getAllStackTraces()} leaves out: when no platform thread
 * is in System.exit, the JVM's thread dump (HotSpotDiagnostic's dumpThreads, which has virtual threads too) is
 * searched for the caller.
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
        hook = new Thread(ExitReporter::report, "kimserver-exit-reporter");
        try {
            Runtime.getRuntime().addShutdownHook(hook);
        } catch (IllegalStateException e) {
            // Asked to exit while the server starts: whoever asked is already on its way out.
            LOG.warn("the JVM is exiting while the server starts; who asked is not known");
            hook = null;
        }
    }

    @Deactivate
    void deactivate() {
        if (hook == null) {
            return;
        }
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: the hook runs, or has run
        }
    }

    /** Logs who asked the JVM to exit: a platform thread, else a virtual one, in System.exit. */
    private static void report() {
        if (!report(Thread.getAllStackTraces()) && !reportVirtual()) {
            LOG.warn("the JVM is exiting: its last non-daemon thread ended (no thread is in System.exit)");
        }
    }

    /** Logs who asked the JVM to exit, from the stacks of its platform threads; false when none is exiting. */
    static boolean report(Map<Thread, StackTraceElement[]> stacks) {
        for (var thread : stacks.entrySet()) {
            if (exitCall(thread.getValue()) >= 0) {
                logCaller("thread \"" + thread.getKey().getName() + "\"", thread.getValue());
                return true;
            }
        }
        return false;
    }

    private static boolean reportVirtual() {
        try {
            Path folder = Files.createTempDirectory("kimserver-exit");
            Path dump = folder.resolve("threads.json");
            try {
                ManagementFactory.getPlatformMBeanServer().invoke(
                        new ObjectName("com.sun.management:type=HotSpotDiagnostic"), "dumpThreads",
                        new Object[] {dump.toString(), "JSON"},
                        new String[] {String.class.getName(), String.class.getName()});
                return reportFromDump(new ObjectMapper().readTree(dump.toFile()));
            } finally {
                try (Stream<Path> files = Files.walk(folder)) {
                    for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        } catch (IOException | JMException | RuntimeException e) {
            LOG.warn("the JVM is exiting: no platform thread is in System.exit, and the thread dump that would"
                    + " show a virtual one failed: {}", e.toString());
            return true;
        }
    }

    /**
     * Logs who asked the JVM to exit from a thread dump in the JDK's JSON format ({@code threadDump.threadContainers
     * [].threads[]} with {@code tid}, {@code name}, {@code virtual} and {@code stack}, frames as
     * StackTraceElement.toString() writes them); false when no thread in it is exiting.
     */
    static boolean reportFromDump(JsonNode dump) {
        for (JsonNode container : dump.path("threadDump").path("threadContainers")) {
            for (JsonNode thread : container.path("threads")) {
                List<StackTraceElement> stack = new ArrayList<>();
                thread.path("stack").forEach(frame -> stack.add(frame(frame.asText())));
                StackTraceElement[] frames = stack.toArray(new StackTraceElement[0]);
                if (exitCall(frames) < 0) {
                    continue;
                }
                String name = thread.path("name").asText("");
                boolean virtual = thread.path("virtual").asBoolean(false);
                logCaller((virtual ? "virtual thread" : "thread") + (name.isEmpty() ? " #" + thread.path("tid")
                        .asText("?") : " \"" + name + "\""), frames);
                return true;
            }
        }
        return false;
    }

    private static void logCaller(String thread, StackTraceElement[] stack) {
        if (thread.matches("thread \"SIG[A-Z0-9]+ handler\"")) {
            LOG.warn("the JVM is exiting: signal {}", thread.substring("thread \"".length(), thread.indexOf(' ',
                    "thread \"".length())));
            return;
        }
        Throwable caller = new Throwable("System.exit was called here, by " + thread);
        caller.setStackTrace(Arrays.copyOfRange(stack, exitCall(stack), stack.length));
        LOG.warn("the JVM is exiting: System.exit called by {}", thread, caller);
    }

    /**
     * A frame as StackTraceElement.toString() writes it, {@code [loader/][module@version/]class.method(file:line)}
     * or with {@code Native Method} or {@code Unknown Source} in the parentheses.
     */
    static StackTraceElement frame(String text) {
        int open = text.indexOf('(');
        String qualified = open < 0 ? text : text.substring(0, open);
        qualified = qualified.substring(qualified.lastIndexOf('/') + 1);
        int dot = qualified.lastIndexOf('.');
        String type = dot < 0 ? "" : qualified.substring(0, dot);
        String method = qualified.substring(dot + 1);
        String place = open < 0 ? "" : text.substring(open + 1, text.endsWith(")") ? text.length() - 1
                : text.length());
        if (place.equals("Native Method")) {
            return new StackTraceElement(type, method, null, -2);
        }
        int colon = place.lastIndexOf(':');
        if (colon > 0 && place.substring(colon + 1).matches("\\d+")) {
            return new StackTraceElement(type, method, place.substring(0, colon),
                    Integer.parseInt(place.substring(colon + 1)));
        }
        return new StackTraceElement(type, method, place.equals("Unknown Source") ? null : place, -1);
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
