package org.kimserver.supervisor.internal;

import io.netty.channel.Channel;
import java.io.IOException;
import java.lang.ProcessBuilder.Redirect;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.kimserver.api.diag.Problem;
import org.kimserver.api.diag.ProblemReporter;
import org.kimserver.api.diag.WorkerDiagnostics;
import org.kimserver.api.diag.WorkerInfo;
import org.kimserver.proto.ModuleReport;
import org.kimserver.proto.Payload;
import org.kimserver.proto.WorkerHello;
import org.kimserver.proto.WorkerProblem;
import org.kimserver.proto.WorkerState;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the worker processes, serves their control links and starts a worker again when its process exits:
 * at once, unless it lived less than {@link #SHORT_LIFE} more than once in a row (a crash loop), which backs off
 * 1 s, 2 s, 4 s ... up to {@link #MAX_BACKOFF}. Decides whether the workers are up (see {@link UpState}).
 * Spawns, restarts and state notifications run on one thread of its own; the control links' event loop only
 * records what they say.
 *
 * <p>While it runs, {@link #resize} starts workers under new indices or stops the highest ones (SIGTERM: their
 * graceful stop), and {@link #replaceWith} replaces every worker by one started with a new command, one at a time:
 * stop one, start it again, wait until it is up and serves its modules (bounded by {@link #SETTLE_BOUND}), then the
 * next.
 * Never two processes of the same index at once (they would share a framework cache, a console socket and a log):
 * when the one to replace is the only worker, no other would take the clients meanwhile, so a <em>bridge</em> worker
 * under the next free index is started first and stopped at the end, and no client is refused.
 */
final class WorkerSupervisor implements WorkerDiagnostics, ProblemReporter, ControlServer.Listener {
    static final Duration SHORT_LIFE = Duration.ofSeconds(10);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    /** How often a replacement of the workers looks whether it can take its next step. */
    static final Duration ROLL_TICK = Duration.ofMillis(100);
    /**
     * How long a replacement waits at most, after a worker said it is ready, for it to serve the modules in force
     * before it stops the next one: a worker is ready once its gate is, and only then does it deploy its modules,
     * which must serve before the clients of the next worker to stop come to it. A module that never comes up on
     * the new worker (it fails there) must not hold the replacement up for ever.
     */
    static final Duration SETTLE_BOUND = Duration.ofSeconds(30);
    /**
     * What a stop waits beyond the gate's stop_timeout_ms before it kills a worker that is still there: the worker's
     * own bound (stop_timeout_ms + 5 s, after which it says what was stuck and halts) and a second to do so.
     */
    static final Duration STOP_MARGIN = Duration.ofSeconds(6);
    /** A registered worker whose reports (one a second) stopped this long ago is a problem. */
    static final Duration SILENCE = Duration.ofSeconds(5);
    /** A worker not up this long after its start is a problem. */
    static final Duration NOT_UP_PATIENCE = Duration.ofSeconds(30);
    private static final Logger LOG = LoggerFactory.getLogger(WorkerSupervisor.class);

    /**
     * Whether the workers are up, as the launcher reads {@code kim.gate.state}: {@code starting} until every worker
     * has registered and said it is ready, then {@code listening} for good (later exits only restart); {@code
     * failed} when a worker exits, or says its gate failed, before that; {@code address} is then the failed
     * gate's address, or the worker's name when it exited.
     */
    record UpState(String state, String error, String address) {
        static final UpState STARTING = new UpState("starting", null, null);
        static final UpState LISTENING = new UpState("listening", null, null);
    }

    /** The modules the workers deploy ({@link ModuleRollout}); called with the supervisor's lock held or not. */
    interface Modules {
        /** Puts in place the modules worker {@code index} deploys: before each start of its process. */
        void prepare(int index);

        /** Whether worker {@code index}'s report shows it serving every module it is to deploy. */
        boolean deployed(int index, ModuleReport report);
    }

    /** One worker: its current process and what it last said. Guarded by the supervisor. */
    private static final class Slot {
        final int index;
        Process process;
        /** The command its process was started with: stale once the supervisor's command changed. */
        WorkerCommand startedWith;
        /** Stopped for good: not started again when its process exits, then forgotten. */
        boolean retiring;
        /** Started to take the clients while the only other worker is replaced; retired once the roll is done. */
        boolean bridge;
        /** The process this supervisor asked to stop to replace it: its exit is no crash. */
        Process replacing;
        long startedNanos;
        Instant startedAt;
        int restarts;
        int shortLives;
        boolean ready;
        /** When it said it was ready (System.nanoTime). */
        long readySince;
        Channel link;
        String gateState = UpState.STARTING.state();
        String gateAddress = "";
        int connections;
        double requestsPerSecond;
        double readBytesPerSecond;
        double writeBytesPerSecond;
        long lastPayloadNanos;
        /** When its process last said anything on its link (registration included); 0 before it registered. */
        long lastHeardNanos;
        long heapUsed = -1;
        long heapMax = -1;
        String lastExit;
        /** Its process's last report of its modules; null until the first. */
        ModuleReport modules;
        /** What its process's kim:info would list, as it last reported. */
        List<WorkerProblem> problems = List.of();

        Slot(int index) {
            this.index = index;
        }

        boolean alive() {
            return process != null && process.isAlive();
        }
    }

    private int workerCount;
    /** What the next process of a worker is started with. */
    private WorkerCommand command;
    private final Consumer<UpState> upListener;
    private final Modules modules;
    private final ClassDataSharing sharing;
    /** By index: 1..workerCount, and above them bridges and retiring workers until their process has exited. */
    private final TreeMap<Integer, Slot> slots = new TreeMap<>();
    /** A replacement of the stale workers is under way ({@link #roll}). */
    private boolean rolling;
    private final ScheduledExecutorService scheduler;
    private volatile Duration stopWait;
    private ControlServer server;
    private UpState up = UpState.STARTING;
    private boolean stopping;

    /**
     * @param stopWait   how long a stop waits for the workers after SIGTERM before it kills them
     * @param upListener told each change of {@link UpState}, on the supervisor's thread
     * @param modules    the modules the workers deploy
     * @param sharing    the workers' class data sharing
     */
    WorkerSupervisor(int workerCount, WorkerCommand command, Duration stopWait, Consumer<UpState> upListener,
                     Modules modules, ClassDataSharing sharing) {
        this.workerCount = workerCount;
        this.command = command;
        this.stopWait = stopWait;
        this.upListener = upListener;
        this.modules = modules;
        this.sharing = sharing;
        for (int i = 1; i <= workerCount; i++) {
            slots.put(i, new Slot(i));
        }
        scheduler = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("kim-supervisor").daemon()
                .factory());
    }

    /**
     * Listens on the control socket, then starts every worker once {@code readyToSpawn} says so or
     * {@code patience} has passed (the hand-off acceptor may still be starting); checked every 100 ms.
     */
    void start(BooleanSupplier readyToSpawn, Duration patience) throws IOException {
        try {
            server = ControlServer.listen(command.controlSocket(), this);
        } catch (IOException e) {
            scheduler.shutdownNow();
            throw e;
        }
        long deadline = System.nanoTime() + patience.toNanos();
        scheduler.execute(new Runnable() {
            @Override
            public void run() {
                if (!readyToSpawn.getAsBoolean() && System.nanoTime() < deadline) {
                    scheduler.schedule(this, 100, TimeUnit.MILLISECONDS);
                    return;
                }
                if (!readyToSpawn.getAsBoolean()) {
                    LOG.warn("starting the workers without connection hand-off: no hand-off socket after {} s",
                            patience.toSeconds());
                }
                List<Slot> all;
                synchronized (WorkerSupervisor.this) {
                    all = List.copyOf(slots.values());
                }
                all.forEach(WorkerSupervisor.this::spawn);
            }
        });
    }

    void stopWait(Duration wait) {
        stopWait = wait;
    }

    Path controlSocket() {
        return server.socket();
    }

    /** The current process of worker {@code index}, or {@code null}: for tests. */
    synchronized Process process(int index) {
        Slot slot = slots.get(index);
        return slot == null ? null : slot.process;
    }

    synchronized UpState upState() {
        return up;
    }

    /** Starts a process for the slot, unless it was retired meanwhile; on the supervisor's thread. */
    private void spawn(Slot slot) {
        WorkerCommand with;
        synchronized (this) {
            if (stopping || slot.retiring || slots.get(slot.index) != slot) {
                return;
            }
            with = command;
        }
        Process process;
        try {
            modules.prepare(slot.index);
            process = new ProcessBuilder(with.forWorker(slot.index, sharing.options(with)))
                    .redirectInput(Redirect.PIPE).redirectOutput(Redirect.INHERIT).redirectError(Redirect.INHERIT)
                    .start();
            sharing.started(process);
        } catch (IOException e) {
            sharing.started(null);
            LOG.error("cannot start worker {}", slot.index, e);
            synchronized (this) {
                if (!stopping) {
                    slot.shortLives++;
                    schedule(() -> spawn(slot), restartDelay(slot.shortLives));
                }
            }
            return;
        }
        synchronized (this) {
            if (stopping) {
                process.destroyForcibly();
                return;
            }
            slot.process = process;
            slot.startedWith = with;
            slot.startedNanos = System.nanoTime();
            slot.startedAt = Instant.now();
            slot.ready = false;
            // What the previous process said is not this one's: until it reports, it has no heap nor address.
            slot.gateState = UpState.STARTING.state();
            slot.gateAddress = "";
            slot.heapUsed = -1;
            slot.heapMax = -1;
            slot.connections = 0;
            slot.requestsPerSecond = 0;
            slot.readBytesPerSecond = 0;
            slot.writeBytesPerSecond = 0;
            slot.lastPayloadNanos = 0;
            slot.lastHeardNanos = 0;
            slot.modules = null;
            slot.problems = List.of();
        }
        LOG.info("worker {} started, pid {}", slot.index, process.pid());
        process.onExit().thenRun(() -> schedule(() -> exited(slot, process), Duration.ZERO));
    }

    private void schedule(Runnable task, Duration delay) {
        try {
            scheduler.schedule(task, delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (RejectedExecutionException e) {
            // stopped: nothing more is started
        }
    }

    /** A worker's process ended: it is started again, and during the start the workers are not up. */
    private void exited(Slot slot, Process process) {
        Duration lived;
        String exit;
        Duration delay;
        int shortLives;
        synchronized (this) {
            if (stopping || slot.process != process) {
                return;
            }
            lived = Duration.ofNanos(System.nanoTime() - slot.startedNanos);
            exit = "exit code " + process.exitValue() + " after " + seconds(lived);
            slot.lastExit = exit;
            if (slot.link != null) {
                slot.link.close();
                slot.link = null;
            }
            if (slot.retiring) {
                slots.remove(slot.index);
                LOG.info("worker {} (pid {}) stopped with {}: {}", slot.index, process.pid(), exit,
                        slot.bridge ? "the bridge is no longer needed" : "worker_cnt is " + workerCount);
                return;
            }
            if (slot.replacing == process) {
                slot.replacing = null;
                slot.process = null;
                LOG.info("worker {} (pid {}) stopped with {} to be replaced; starting its replacement",
                        slot.index, process.pid(), exit);
                schedule(() -> spawn(slot), Duration.ZERO);
                return;
            }
            slot.shortLives = lived.compareTo(SHORT_LIFE) < 0 ? slot.shortLives + 1 : 0;
            shortLives = slot.shortLives;
            delay = restartDelay(shortLives);
            if (up == UpState.STARTING && !slot.ready) {
                fail("worker " + slot.index + " (pid " + process.pid() + ") exited with " + exit
                        + " before it was ready; see log/" + logName(slot.index),
                        slot.gateAddress.isEmpty() ? null : slot.gateAddress); // null: the launcher names the configured one
            }
            slot.restarts++;
        }
        if (shortLives >= 2) {
            LOG.error("worker {} (pid {}) exited with {}, the {} time in a row within {} s; starting it again in {}",
                    slot.index, process.pid(), exit, ordinal(shortLives), SHORT_LIFE.toSeconds(), seconds(delay));
        } else {
            LOG.warn("worker {} (pid {}) exited with {}; starting it again", slot.index, process.pid(), exit);
        }
        schedule(() -> spawn(slot), delay);
    }

    /** The wait before starting a worker again that lived less than SHORT_LIFE that many times in a row. */
    static Duration restartDelay(int shortLivesInARow) {
        if (shortLivesInARow <= 1) {
            return Duration.ZERO;
        }
        int doublings = Math.min(shortLivesInARow - 2, 30);
        return Duration.ofSeconds(Math.min(1L << doublings, MAX_BACKOFF.toSeconds()));
    }

    static String logName(int index) {
        return "kimserver_w_" + index + ".log";
    }

    private static String seconds(Duration d) {
        return String.format("%.1f s", d.toMillis() / 1000.0);
    }

    private static String ordinal(int n) {
        int mod100 = n % 100;
        String suffix = mod100 >= 11 && mod100 <= 13 ? "th"
                : switch (n % 10) {
                    case 1 -> "st";
                    case 2 -> "nd";
                    case 3 -> "rd";
                    default -> "th";
                };
        return n + suffix;
    }

    /** Registered and ready, and not asked to stop for a replacement. */
    private static boolean isUp(Slot slot) {
        return slot.alive() && slot.ready && slot.link != null && slot.replacing == null;
    }

    // ---- worker_cnt and the worker command changed (a reload)

    /**
     * Makes {@code count} the number of workers: starts the missing indices at once, and stops the indices above it
     * gracefully (SIGTERM; killed if still there after the stop wait); a bridge below the new count becomes a
     * worker.
     */
    void resize(int count) {
        schedule(() -> {
            List<Slot> started = new ArrayList<>();
            synchronized (this) {
                if (stopping || count == workerCount) {
                    return;
                }
                LOG.info("worker_cnt {} -> {}", workerCount, count);
                workerCount = count;
                for (int i = 1; i <= count; i++) {
                    Slot slot = slots.get(i);
                    if (slot == null) {
                        slot = new Slot(i);
                        slots.put(i, slot);
                        started.add(slot);
                    } else if (slot.retiring || slot.bridge) {
                        // Still stopping from an earlier shrink: started again when it exits, as after any exit.
                        slot.retiring = false;
                        slot.bridge = false;
                    }
                }
                for (Slot slot : slots.tailMap(count, false).values()) {
                    if (!slot.bridge || !rolling) {
                        retire(slot);
                    }
                }
            }
            started.forEach(this::spawn);
        }, Duration.ZERO);
    }

    /**
     * Replaces every worker by one started with {@code newCommand}, one at a time (see the class comment). A change
     * while a replacement is under way only makes the workers started since stale too.
     */
    void replaceWith(WorkerCommand newCommand) {
        schedule(() -> {
            synchronized (this) {
                command = newCommand;
                if (stopping || rolling) {
                    return;
                }
                rolling = true;
                LOG.info("replacing the workers one at a time: worker_java_opts {}", newCommand.workerOptions());
            }
            roll();
        }, Duration.ZERO);
    }

    /**
     * One step of a replacement, on the supervisor's thread, again every {@link #ROLL_TICK} until it is done: wait
     * until every worker is up; then stop the first stale one (its replacement is started when it exits, see
     * {@link #exited}), after starting a bridge if no other worker is up; when none is stale, retire the bridges.
     */
    private void roll() {
        Slot bridge = null;
        synchronized (this) {
            if (stopping) {
                return;
            }
            List<Slot> active = slots.values().stream().filter(s -> !s.retiring).toList();
            long now = System.nanoTime();
            if (!active.stream().allMatch(s -> isUp(s) && settled(s, now))) {
                schedule(this::roll, ROLL_TICK);
                return;
            }
            Slot stale = active.stream().filter(s -> !s.bridge
                    && !s.startedWith.workerOptions().equals(command.workerOptions())).findFirst().orElse(null);
            if (stale == null) {
                active.stream().filter(s -> s.bridge).forEach(this::retire);
                rolling = false;
                LOG.info("every worker runs with worker_java_opts {}", command.workerOptions());
                return;
            }
            if (active.size() == 1) {
                bridge = new Slot(slots.lastKey() + 1);
                bridge.bridge = true;
                slots.put(bridge.index, bridge);
                LOG.info("starting worker {} as a bridge: it takes the clients while worker {} is replaced",
                        bridge.index, stale.index);
            } else {
                stale.replacing = stale.process;
                LOG.info("replacing worker {} (pid {})", stale.index, stale.process.pid());
                terminate(stale.process);
            }
        }
        if (bridge != null) {
            spawn(bridge);
        }
        schedule(this::roll, ROLL_TICK);
    }

    /**
     * Whether a ready worker serves the modules it is to deploy, or has had {@link #SETTLE_BOUND} to do so. Caller
     * holds the lock.
     */
    private boolean settled(Slot slot, long now) {
        if (modules.deployed(slot.index, slot.modules)) {
            return true;
        }
        if (now - slot.readySince < SETTLE_BOUND.toNanos()) {
            return false;
        }
        LOG.warn("worker {} does not serve every module {} s after it was ready; the replacement goes on (see"
                + " kim:modules)", slot.index, SETTLE_BOUND.toSeconds());
        return true;
    }

    /**
     * Starts worker {@code index} again: SIGTERM to its process (SIGKILL after the stop wait), and a new process as
     * soon as it has exited, as for a replacement. For a worker stuck in a module (an activation that does not
     * return), which a roll-back cannot reach otherwise.
     */
    synchronized void restart(int index, String why) {
        Slot slot = slots.get(index);
        if (stopping || slot == null || !slot.alive() || slot.retiring || slot.replacing != null) {
            return;
        }
        LOG.warn("restarting worker {} (pid {}): {}", index, slot.process.pid(), why);
        slot.replacing = slot.process;
        terminate(slot.process);
    }

    /** Stops a slot for good: SIGTERM to its process, or forgotten at once when none runs. Caller holds the lock. */
    private void retire(Slot slot) {
        if (slot.retiring) {
            return;
        }
        slot.retiring = true;
        if (slot.alive()) {
            LOG.info("stopping worker {} (pid {}){}", slot.index, slot.process.pid(),
                    slot.bridge ? ": the bridge is no longer needed" : "");
            terminate(slot.process);
        } else {
            slots.remove(slot.index);
        }
    }

    /**
     * SIGTERM, and SIGKILL if it is still there after the stop wait. Through the handle: Process.destroy would also
     * close the worker's standard input, which the worker takes for its manager being gone.
     */
    private void terminate(Process process) {
        process.toHandle().destroy();
        schedule(() -> {
            if (process.isAlive()) {
                LOG.warn("worker pid {} still runs {} after SIGTERM; killing it", process.pid(), seconds(stopWait));
                process.destroyForcibly();
            }
        }, stopWait);
    }

    // ---- the control links (event loop: record and return)

    @Override
    public String registered(Channel link, WorkerHello hello) {
        int index = hello.getWorkerIndex();
        synchronized (this) {
            Slot slot = slots.get(index);
            if (slot == null) {
                return "invalid worker index " + index + " (1.." + workerCount + ")";
            }
            if (slot.process == null || slot.process.pid() != hello.getPid()) {
                return "pid " + hello.getPid() + " is not the process started as worker " + index;
            }
            if (slot.link != null && slot.link != link) {
                slot.link.close();
            }
            slot.link = link;
            LOG.info("worker {} (pid {}) registered", index, hello.getPid());
            record(slot, hello.getState());
        }
        return null;
    }

    @Override
    public void payload(int index, Payload payload) {
        synchronized (this) {
            Slot slot = slots.get(index);
            if (slot == null) {
                return;
            }
            long now = System.nanoTime();
            // The rate over the time since the previous report; the first report covers about a second.
            double elapsed = slot.lastPayloadNanos == 0 ? 1.0 : Math.max(0.001, (now - slot.lastPayloadNanos) / 1e9);
            slot.lastPayloadNanos = now;
            slot.lastHeardNanos = now;
            slot.connections = payload.getConnCnt();
            slot.requestsPerSecond = Integer.toUnsignedLong(payload.getCmdCnt()) / elapsed;
            slot.readBytesPerSecond = Integer.toUnsignedLong(payload.getReadBytes()) / elapsed;
            slot.writeBytesPerSecond = Integer.toUnsignedLong(payload.getWriteBytes()) / elapsed;
        }
    }

    @Override
    public void state(int index, WorkerState state) {
        synchronized (this) {
            Slot slot = slots.get(index);
            if (slot != null) {
                record(slot, state);
            }
        }
    }

    @Override
    public void modules(int index, ModuleReport report) {
        synchronized (this) {
            Slot slot = slots.get(index);
            if (slot != null) {
                slot.modules = report;
                slot.lastHeardNanos = System.nanoTime();
            }
        }
    }

    @Override
    public void closed(int index, Channel link) {
        synchronized (this) {
            Slot slot = slots.get(index);
            if (slot != null && slot.link == link) {
                slot.link = null;
            }
        }
    }

    private void record(Slot slot, WorkerState state) {
        slot.lastHeardNanos = System.nanoTime();
        slot.gateState = state.getGateState();
        slot.gateAddress = state.getGateAddress();
        slot.heapUsed = state.getHeapUsed();
        slot.heapMax = state.getHeapMax();
        slot.problems = state.getProblemsList();
        if (UpState.LISTENING.state().equals(state.getGateState()) && !slot.ready) {
            slot.ready = true;
            // The moment a started (or restarted) worker can serve, as the manager learns it.
            LOG.info("worker {} (pid {}) is ready", slot.index, slot.process.pid());
            slot.readySince = System.nanoTime();
        }
        if (up != UpState.STARTING) {
            return;
        }
        if ("failed".equals(state.getGateState())) {
            fail("worker " + slot.index + ": " + state.getGateError() + "; see log/" + logName(slot.index),
                    state.getGateAddress());
        } else if (slots.values().stream().filter(s -> !s.retiring).allMatch(WorkerSupervisor::isUp)) {
            LOG.info("all {} workers are up", workerCount);
            publish(UpState.LISTENING);
        }
    }

    /** Caller holds the lock. */
    private void fail(String why, String address) {
        LOG.error("the workers did not start: {}", why);
        publish(new UpState("failed", why, address));
    }

    /** Caller holds the lock. */
    private void publish(UpState state) {
        up = state;
        schedule(() -> upListener.accept(state), Duration.ZERO);
    }

    /**
     * A worker as the roll-out of modules sees it.
     *
     * @param pid      its current process, -1 when none runs
     * @param ready    whether that process said it is ready
     * @param retiring being stopped for good (a smaller worker_cnt, or a bridge whose roll is over)
     * @param modules  that process's last report of its modules, null before the first
     */
    record WorkerView(int index, long pid, boolean ready, boolean retiring, ModuleReport modules) {
    }

    /** Every worker, in index order. */
    synchronized List<WorkerView> views() {
        List<WorkerView> views = new ArrayList<>();
        for (Slot s : slots.values()) {
            boolean alive = s.alive();
            views.add(new WorkerView(s.index, alive ? s.process.pid() : -1, alive && s.ready, s.retiring,
                    alive ? s.modules : null));
        }
        return views;
    }

    @Override
    public synchronized List<WorkerInfo> workers() {
        long now = System.nanoTime();
        List<WorkerInfo> out = new ArrayList<>();
        for (Slot s : slots.values()) {
            boolean alive = s.alive();
            String state = !alive ? WorkerInfo.EXITED : s.retiring || s.replacing != null ? WorkerInfo.STOPPING
                    : silent(s, now) ? WorkerInfo.SILENT : isUp(s) ? WorkerInfo.UP : WorkerInfo.STARTING;
            out.add(new WorkerInfo(s.index, alive ? s.process.pid() : -1, alive ? s.startedAt : null,
                    alive ? Duration.ofNanos(now - s.startedNanos) : Duration.ZERO, s.restarts, state, s.gateState,
                    s.connections, s.requestsPerSecond, s.readBytesPerSecond, s.writeBytesPerSecond, s.heapUsed,
                    s.heapMax, s.lastExit));
        }
        return out;
    }

    /**
     * What kim:info should say of the workers: one that has registered but sent no report for {@link #SILENCE}
     * (frozen, or too busy to report: the hand-off passes it over meanwhile), one in a crash loop, and one that has
     * not been up for {@link #NOT_UP_PATIENCE}; and every problem a running worker last reported (what its own
     * kim:info lists), under its name, so that the manager's kim:info covers every process; and the workers' class
     * data sharing given up on.
     */
    @Override
    public synchronized List<Problem> problems() {
        long now = System.nanoTime();
        Instant wallNow = Instant.now();
        List<Problem> problems = new ArrayList<>();
        for (Slot s : slots.values()) {
            String subject = "worker " + s.index;
            if (silent(s, now)) {
                Duration silent = Duration.ofNanos(now - s.lastHeardNanos);
                problems.add(new Problem(subject, "pid " + s.process.pid() + " has sent no report for "
                        + silent.toSeconds() + " s (stopped or overloaded? the hand-off gives it no new client meanwhile)",
                        wallNow.minus(silent)));
            } else if (s.shortLives >= 2 && !(s.alive() && now - s.startedNanos >= SHORT_LIFE.toNanos())) {
                // (one that has lived past a crash-loop life is out of it, though counted only when it exits)
                problems.add(new Problem(subject, "in a crash loop: exited " + s.shortLives + " times in a row within "
                        + SHORT_LIFE.toSeconds() + " s of its start, the last with " + s.lastExit + "; see its log",
                        s.startedAt == null ? wallNow : s.startedAt));
            } else if (!isUp(s) && !s.retiring && s.replacing == null && s.startedNanos != 0
                    && now - s.startedNanos > NOT_UP_PATIENCE.toNanos()) {
                problems.add(new Problem(subject, (s.alive() ? "not up " : "not running ")
                        + Duration.ofNanos(now - s.startedNanos).toSeconds() + " s after its start"
                        + (s.lastExit == null ? "" : "; the last process ended with " + s.lastExit),
                        s.startedAt == null ? wallNow : s.startedAt));
            }
            if (s.alive()) {
                for (WorkerProblem p : s.problems) {
                    problems.add(new Problem(subject + ": " + p.getSubject(), p.getReason(),
                            Instant.ofEpochMilli(p.getSinceMs())));
                }
            }
        }
        Problem sharingProblem = sharing.problem();
        if (sharingProblem != null) {
            problems.add(sharingProblem);
        }
        return problems;
    }

    /** Whether a registered worker has sent no report for {@link #SILENCE}. Caller holds the lock. */
    private static boolean silent(Slot s, long now) {
        return s.alive() && s.link != null && s.lastHeardNanos != 0 && now - s.lastHeardNanos > SILENCE.toNanos();
    }

    /**
     * Stops every worker: SIGTERM, a wait of up to the stop wait for each to finish its own graceful stop, then
     * SIGKILL for what is left; or, {@code fast}, SIGKILL at once. Then closes the control socket. Nothing is
     * started again after this begins.
     */
    void stop(boolean fast) throws IOException {
        List<Process> running = new ArrayList<>();
        synchronized (this) {
            stopping = true;
            for (Slot s : slots.values()) {
                if (s.alive()) {
                    running.add(s.process);
                }
            }
        }
        scheduler.shutdownNow();
        if (fast) {
            LOG.warn("fast stop: killing {} worker{} without draining their connections", running.size(),
                    running.size() == 1 ? "" : "s");
            running.forEach(Process::destroyForcibly);
            running.forEach(p -> awaitExit(p, Duration.ofSeconds(5)));
            if (server != null) {
                server.close();
            }
            return;
        }
        // SIGTERM through the handle: Process.destroy would also close the worker's standard input, which the worker
        // takes for its manager being gone.
        running.forEach(p -> p.toHandle().destroy());
        long deadline = System.nanoTime() + stopWait.toNanos();
        for (Process p : running) {
            awaitExit(p, Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
        }
        for (Process p : running) {
            if (p.isAlive()) {
                LOG.warn("worker pid {} still runs {} after SIGTERM; killing it", p.pid(), seconds(stopWait));
                p.destroyForcibly();
                awaitExit(p, Duration.ofSeconds(5));
            }
        }
        sharing.awaitWriter(Duration.ofSeconds(5)); // its archive is put in place as it exits, before the manager goes
        if (server != null) {
            server.close();
        }
    }

    private static void awaitExit(Process p, Duration wait) {
        try {
            p.onExit().get(wait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            // killed next
        } catch (ExecutionException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
