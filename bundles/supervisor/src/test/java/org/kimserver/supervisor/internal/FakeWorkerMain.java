package org.kimserver.supervisor.internal;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.kimserver.proto.ModuleReport;
import org.kimserver.proto.WorkerProblem;
import org.kimserver.worker.internal.ControlClient;
import org.kimserver.worker.internal.GateReadiness;
import sun.misc.Signal;

/**
 * A worker process for the supervision tests: the real worker side of the control link (ControlClient) without a
 * framework, and the launcher's rule that a worker whose standard input ends (its manager is gone) exits. Started as {@code FakeWorkerMain worker <n>}; it registers with a gate that
 * listens (or fails, see {@link #gate()}), and exits with 252 when its link or standard input ends, as a worker whose manager is gone.
 */
public final class FakeWorkerMain {
    private FakeWorkerMain() {
    }

    public static void main(String[] args) throws Exception {
        int index = Integer.parseInt(args[1]);
        String crashes = System.getProperty("fake.crashes"); // "<n>:<counter file>": the first n starts exit at once
        if (crashes != null) {
            Path counter = Path.of(crashes.substring(crashes.indexOf(':') + 1));
            String text = Files.exists(counter) ? Files.readString(counter) : "";
            int started = text.isEmpty() ? 0 : Integer.parseInt(text);
            Files.writeString(counter, Integer.toString(started + 1));
            if (started < Integer.parseInt(crashes.substring(0, crashes.indexOf(':')))) {
                System.exit(3);
            }
        }
        if (Boolean.getBoolean("fake.ignore.term")) {
            Signal.handle(new Signal("TERM"), signal -> { }); // a worker stuck in its stop
        }
        Runnable gone = () -> Runtime.getRuntime().halt(252);
        Thread.ofPlatform().daemon().start(() -> {
            try {
                System.in.transferTo(OutputStream.nullOutputStream());
            } catch (IOException e) {
                // a broken pipe is an end too
            }
            gone.run();
        });
        ControlClient.connect(Path.of(System.getProperty("kimserver.control")), index, ProcessHandle.current().pid(),
                () -> new ControlClient.Sample(index, 10L * index, 1, 100, 1, 100,
                        gate(), 1 << 20, 1 << 30, ModuleReport.getDefaultInstance(), problems()), gone);
        Thread.sleep(Long.MAX_VALUE);
    }

    /** A problem as its kim:info would list it when {@code -Dfake.problem=<subject>} is set, else none. */
    private static List<WorkerProblem> problems() {
        String subject = System.getProperty("fake.problem");
        return subject == null ? List.of() : List.of(WorkerProblem.newBuilder().setSubject(subject)
                .setReason("fake worker's problem").setSinceMs(1_000_000).build());
    }

    /** Listening, unless {@code -Dfake.gate.error=<why>} makes the gate fail. */
    private static GateReadiness gate() {
        String error = System.getProperty("fake.gate.error");
        return error == null ? new GateReadiness(GateReadiness.LISTENING, null, "127.0.0.1:1")
                : new GateReadiness(GateReadiness.FAILED, error, "127.0.0.1:1");
    }
}
