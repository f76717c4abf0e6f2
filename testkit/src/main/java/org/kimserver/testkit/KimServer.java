package org.kimserver.testkit;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.kimserver.api.ErrorCode;
import org.kimserver.api.diag.Problem;
import org.kimserver.api.diag.ProblemReporter;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.framework.FrameworkUtil;
import org.osgi.framework.InvalidSyntaxException;
import org.osgi.framework.ServiceReference;

/** In a test method: the server its class's {@link KimContainer} set up. */
public final class KimServer {
    private KimServer() {
    }

    /** The gate port its class's {@link KimContainer} chose. */
    public static int gatePort() {
        return Integer.getInteger(KimContainer.GATE_PORT_PROPERTY);
    }

    /** The server home the framework runs on. */
    public static Path home(BundleContext context) {
        return Path.of(context.getProperty("kimserver.home"));
    }

    /** A new connection to the gate. */
    public static WireClient connect() throws IOException {
        return new WireClient(gatePort());
    }

    /**
     * Sends {@code cmd} with {@code data}, each time on a new connection, until a handler answers it (any code but
     * 4, no handler), and returns that answer: a module deployed as the server starts serves a moment later.
     *
     * @throws AssertionError when nothing serves {@code cmd} within {@code timeout}
     */
    public static WireClient.Frame awaitServed(int cmd, String data, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try (WireClient client = connect()) {
                WireClient.Frame reply = client.call(cmd, data);
                if (reply.code() != ErrorCode.UNKNOWN_CMD.code()) {
                    return reply;
                }
            } catch (IOException e) {
                // the gate is not listening yet
            }
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("cmd " + cmd + " not served within " + timeout.toMillis() + " ms"
                        + problemsNow());
            }
            Thread.sleep(50);
        }
    }

    /** {@link #awaitServed(int, String, Duration)} within 30 s. */
    public static WireClient.Frame awaitServed(int cmd, String data) throws Exception {
        return awaitServed(cmd, data, Duration.ofSeconds(30));
    }

    /** What kim:info lists now, as the end of a failure's message (why a module does not serve, say). */
    private static String problemsNow() {
        Bundle kit = FrameworkUtil.getBundle(KimServer.class);
        if (kit == null || kit.getBundleContext() == null) {
            return "";
        }
        List<Problem> problems = problems(kit.getBundleContext());
        return problems.isEmpty() ? "; kim:info lists no problem" : "; kim:info lists:" + problems.stream()
                .map(p -> "\n  " + p.subject() + ": " + p.reason()).collect(Collectors.joining());
    }

    /** Every problem of every ProblemReporter service now, as kim:info lists them. */
    public static List<Problem> problems(BundleContext context) {
        List<Problem> all = new ArrayList<>();
        try {
            for (ServiceReference<ProblemReporter> ref : context.getServiceReferences(ProblemReporter.class, null)) {
                ProblemReporter reporter = context.getService(ref);
                if (reporter != null) {
                    all.addAll(reporter.problems());
                    context.ungetService(ref);
                }
            }
        } catch (InvalidSyntaxException e) {
            throw new AssertionError(e);
        }
        return all;
    }
}
