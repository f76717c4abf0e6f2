package org.kimserver.supervisor.internal;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.kimserver.api.diag.ModuleState;
import org.kimserver.api.diag.Problem;
import org.kimserver.api.diag.ProblemReporter;
import org.kimserver.proto.Module;
import org.kimserver.proto.ModuleReport;
import org.kimserver.shell.deploy.DeployJar;
import org.kimserver.supervisor.internal.WorkerSupervisor.WorkerView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Rolls the changes of {@code deploy/} out to the workers like a deployment. Each worker deploys its own folder
 * ({@link WorkerCommand#deployFolder}), which only this class writes: a change (jars added, replaced or deleted,
 * all that changed since the last look) goes to one worker first, the canary. Once the canary serves it, it runs
 * there for the canary period; if a changed module fails to install, resolve or start, a component of it or of a
 * module that served before does not come up, the canary's process exits, or more than the allowed share of the
 * changed modules' requests fail (code 1), the canary gets the previous jars back and the change goes no further:
 * it is refused until the jar in deploy/ changes again. Otherwise it rolls on to the other workers one at a time,
 * each checked as it comes up. The previous version serves throughout: on the workers not yet reached, and on the
 * canary until the new version has started beside it (the worker's {@code DeployInstaller}).
 *
 * <p>The jars of the versions in force are kept in this bundle's data area by digest, so a roll-back, and a worker
 * that starts (or restarts) meanwhile, get exactly what the workers ran; deploy/ may already hold something else.
 * At the manager's start every worker gets deploy/ as it is: no version serves yet that a canary would protect.
 */
final class ModuleRollout implements ProblemReporter, WorkerSupervisor.Modules {
    /** How often deploy/ is looked at (fileinstall's own poll, before: 500 ms). */
    static final Duration SCAN = Duration.ofMillis(500);
    /** How often a roll-out looks at the workers' reports (they report at once on a bundle event). */
    static final Duration TICK = Duration.ofMillis(100);
    /** How long a worker may take to serve a change: install, resolve, refresh and start. */
    static final Duration APPLY_TIMEOUT = Duration.ofSeconds(30);
    /** How long a worker may take to serve the previous modules again after a roll-back before it is restarted. */
    static final Duration RESTORE_TIMEOUT = Duration.ofSeconds(10);
    /** How long a module must stay failed to count: a refresh passes through unsatisfied references. */
    static final Duration FAILED_FOR = Duration.ofSeconds(1);
    /** How long a change waits for a worker that is up to try it on before it goes to every worker untried. */
    static final Duration NO_WORKER_PATIENCE = Duration.ofSeconds(30);
    /** {@link #outcome} of a change in force. */
    static final String ROLLED_OUT = "rolled out";
    private static final Logger LOG = LoggerFactory.getLogger(ModuleRollout.class);

    /**
     * What the canary is judged by.
     *
     * @param period             how long it serves before the change rolls on
     * @param maxFailurePercent  the share of the changed modules' requests that may fail with code 1
     */
    record Canary(Duration period, int maxFailurePercent) {
    }

    /** A change refused: the jar (digest; "" for a deletion) and why, until deploy/ changes it again. */
    private record Refusal(String digest, String label, String reason, Instant at) {
    }

    /** A jar of deploy/ as last looked at: its digest, or null when it is no bundle (yet). */
    private record Scanned(long size, FileTime modified, String digest, String label) {
    }

    /**
     * What kim:modules shows.
     *
     * @param accepted   the jars the workers run (file to digest)
     * @param labels     "symbolic-name version" by digest
     * @param rolling    the change under way, or null
     * @param refusals   file to why its change was rolled back
     * @param setRefusals bundle set file to why it was refused
     * @param looking    what is being done for a bundle set now (a fetch, a check), or null
     */
    record Snapshot(Map<String, String> accepted, Map<String, String> labels, String rolling,
                    Map<String, String> refusals, Map<String, String> setRefusals, String looking) {
    }

    private final Path deploy;
    private final Path store;
    private final IntFunction<Path> workerFolder;
    private final Supplier<List<WorkerView>> workers;
    private final BiConsumer<Integer, String> restart;
    private volatile Canary canary;
    private final BundleSets sets;
    private final Map<Path, Scanned> scanned = new HashMap<>();
    /** The jars of deploy/ left out for a name the bundle sets' modules have ("x~y.jar"). */
    private volatile Map<String, Instant> misnamed = Map.of();

    // Guarded by this: the roll-out thread changes them, a worker's spawn reads them.
    private Map<String, String> accepted = Map.of();
    /** The set being rolled out, and the workers that have it; null and empty between roll-outs. */
    private Map<String, String> candidate;
    private final Set<Integer> given = new HashSet<>();
    private String rolling;
    private final Map<String, Refusal> refused = new TreeMap<>();
    private final Map<String, String> labels = new HashMap<>();

    private Thread thread;
    private volatile boolean stopped;

    /**
     * @param deploy       the deploy/ folder
     * @param store        a folder of this process for the jars in force (emptied here)
     * @param workerFolder the deploy folder of worker n
     * @param workers      the workers as they are now
     * @param restart      starts worker n again (SIGTERM, then a new process), saying why
     * @param sets         the bundle sets of deploy/
     */
    ModuleRollout(Path deploy, Path store, IntFunction<Path> workerFolder, Supplier<List<WorkerView>> workers,
                  BiConsumer<Integer, String> restart, Canary canary, BundleSets sets) {
        this.deploy = deploy;
        this.store = store;
        this.workerFolder = workerFolder;
        this.workers = workers;
        this.restart = restart;
        this.canary = canary;
        this.sets = sets;
    }

    void canary(Canary settings) {
        canary = settings;
    }

    Canary canary() {
        return canary;
    }

    /** Takes deploy/ as it is for every worker; before the first worker starts. */
    void seed() throws IOException {
        Files.createDirectories(store);
        try (DirectoryStream<Path> old = Files.newDirectoryStream(store)) {
            for (Path p : old) {
                Files.delete(p);
            }
        }
        Map<String, String> found = new TreeMap<>();
        for (Map.Entry<String, Path> jar : jars().entrySet()) {
            Scanned s = look(jar.getValue());
            if (s != null && s.digest() != null && keep(jar.getValue(), s.digest())) {
                found.put(jar.getKey(), s.digest());
            }
        }
        synchronized (this) {
            accepted = Map.copyOf(found);
        }
        LOG.info("deploy/: {} for every worker", found.isEmpty() ? "no module" : describe(found.keySet(), Map.of(), found));
    }

    @Override
    public synchronized void prepare(int index) {
        try {
            mirror(workerFolder.apply(index), given.contains(index) ? candidate : accepted);
        } catch (IOException e) {
            LOG.error("cannot put the modules in place for worker {}: {}", index, e.toString());
        }
    }

    @Override
    public synchronized boolean deployed(int index, ModuleReport report) {
        if (report == null) {
            return false;
        }
        Map<String, Module> modules = byFile(report);
        for (Map.Entry<String, String> e : (given.contains(index) ? candidate : accepted).entrySet()) {
            Module m = modules.get(e.getKey());
            if (m == null || !m.getDigest().equals(e.getValue()) || !ModuleState.SERVING.equals(m.getState())) {
                return false;
            }
        }
        return true;
    }

    void start() {
        thread = Thread.ofPlatform().name("kim-module-rollout").daemon().start(this::run);
    }

    void stop() {
        stopped = true;
        if (thread != null) {
            thread.interrupt();
            try {
                thread.join(Duration.ofSeconds(5));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * What became of a jar of deploy/ ({@code digest}; "" for its deletion): null while it is not decided, else
     * "rolled out" or why it was rolled back.
     */
    synchronized String outcome(String file, String digest) {
        if (file.endsWith(BundleSets.SUFFIX)) {
            return setOutcome(file, digest);
        }
        Refusal r = refused.get(file);
        if (r != null && r.digest().equals(digest)) {
            return "rolled back: " + r.reason();
        }
        boolean inForce = digest.isEmpty() ? !accepted.containsKey(file) : digest.equals(accepted.get(file));
        return inForce && candidate == null ? ROLLED_OUT : null;
    }

    /**
     * What became of a bundle set's file ({@code digest}; "" for its deletion): null while it is not decided; "rolled
     * out" once its bundles are in force (all gone, for a deletion); else why it was refused or rolled back.
     */
    private String setOutcome(String file, String digest) {
        if (digest.isEmpty()) {
            for (Map.Entry<String, Refusal> r : refused.entrySet()) {
                if (BundleSets.memberOf(r.getKey(), file) && r.getValue().digest().isEmpty()) {
                    return "rolled back: " + r.getValue().reason();
                }
            }
            return candidate == null && accepted.keySet().stream().noneMatch(m -> BundleSets.memberOf(m, file))
                    ? ROLLED_OUT : null;
        }
        BundleSets.Look look = sets.look(file, digest);
        if (look == null) {
            return null;
        }
        if (look.refusal() != null) {
            return "refused: " + look.refusal();
        }
        boolean inForce = candidate == null;
        for (Map.Entry<String, String> module : look.digests().entrySet()) {
            Refusal r = refused.get(module.getKey());
            if (r != null && r.digest().equals(module.getValue())) {
                return "rolled back: " + r.reason();
            }
            inForce &= module.getValue().equals(accepted.get(module.getKey()));
        }
        inForce &= accepted.keySet().stream().filter(m -> BundleSets.memberOf(m, file))
                .allMatch(look.modules()::containsKey);
        return inForce ? ROLLED_OUT : null;
    }

    /** Forgets a refusal of the file (a set's: of it and its bundles): what deploy/ holds for it is tried again. */
    synchronized void retry(String file) {
        refused.remove(file);
        if (file.endsWith(BundleSets.SUFFIX)) {
            refused.keySet().removeIf(module -> BundleSets.memberOf(module, file));
            sets.forget(file);
        }
    }

    synchronized Snapshot snapshot() {
        Map<String, String> refusals = new TreeMap<>();
        refused.forEach((file, r) -> refusals.put(file, r.label() + " rolled back at " + r.at() + ": " + r.reason()));
        return new Snapshot(new TreeMap<>(accepted), Map.copyOf(labels), rolling, refusals, sets.refusals(),
                sets.busy());
    }

    /** Each change rolled back whose jar is still in deploy/. */
    @Override
    public synchronized List<Problem> problems() {
        List<Problem> problems = new ArrayList<>();
        refused.forEach((file, r) -> {
            String set = BundleSets.setOf(file);
            problems.add(new Problem("deploy/" + (set == null ? file : set + " (" + file + ")"), r.label()
                    + " was rolled back: " + r.reason() + "; the workers run " + (accepted.containsKey(file)
                    ? labels.get(accepted.get(file)) : "without it") + "; " + (set == null
                    ? "replace or remove the jar" : "change, restore or remove the set's file"), r.at()));
        });
        misnamed.forEach((file, since) -> problems.add(new Problem("deploy/" + file, "not deployed: '"
                + BundleSets.SEPARATOR + "' in a jar's name is kept for the bundles of bundle sets; rename it", since)));
        problems.addAll(sets.problems());
        return problems;
    }

    private void run() {
        while (!stopped) {
            try {
                Thread.sleep(SCAN);
                Map<String, String> next = next();
                if (next != null) {
                    roll(next);
                }
            } catch (InterruptedException e) {
                return;
            } catch (IOException | RuntimeException e) {
                LOG.warn("the roll-out of deploy/ failed; it is tried again: {}", e.toString(), e);
            }
        }
    }

    /** The set the workers should run after the changes in deploy/, or null when it is what they run. */
    private Map<String, String> next() throws IOException {
        Map<String, Path> present = jars();
        Map<String, String> current;
        synchronized (this) {
            current = accepted;
        }
        Map<String, String> next = new TreeMap<>(current);
        next.keySet().retainAll(present.keySet());
        for (Map.Entry<String, Path> jar : present.entrySet()) {
            Scanned s = look(jar.getValue());
            // A jar that is no bundle (a copy in progress, a broken one) changes nothing: the shell says why.
            if (s != null && s.digest() != null) {
                next.put(jar.getKey(), s.digest());
            }
        }
        synchronized (this) {
            // A refusal holds while deploy/ still has what was refused.
            refused.entrySet().removeIf(e -> !e.getValue().digest().equals(next.getOrDefault(e.getKey(), "")));
            for (String file : refused.keySet()) {
                if (current.containsKey(file)) {
                    next.put(file, current.get(file));
                } else {
                    next.remove(file);
                }
            }
        }
        if (next.equals(current)) {
            return null;
        }
        for (Map.Entry<String, String> e : next.entrySet()) {
            if (!e.getValue().equals(current.get(e.getKey())) && !keep(present.get(e.getKey()), e.getValue())) {
                return null; // changed again while it was copied: the next look takes it
            }
        }
        return next;
    }

    /** Rolls {@code next} out: the canary, then the others; or back. */
    private void roll(Map<String, String> next) throws InterruptedException {
        Map<String, String> before;
        synchronized (this) {
            before = accepted;
        }
        Set<String> changes = new TreeSet<>();
        for (String file : union(before.keySet(), next.keySet())) {
            if (!Objects.equals(before.get(file), next.get(file))) {
                changes.add(file);
            }
        }
        String what = describe(changes, before, next);
        Canary settings = canary;
        long began = System.nanoTime();
        WorkerView first = firstReadyWorker();
        synchronized (this) {
            candidate = next;
            rolling = what + (first == null ? " to every worker" : ": worker " + first.index() + " first");
        }
        if (first == null) {
            LOG.warn("deploy/: {}: no worker has been up for {} s to try it on; every worker gets it untried", what,
                    NO_WORKER_PATIENCE.toSeconds());
            accept(next);
            return;
        }
        LOG.info("deploy/: rolling out {}: worker {} first, canary {} ms", what, first.index(),
                settings.period().toMillis());
        List<Integer> reached = new ArrayList<>();
        String failure = give(first, next, changes, settings);
        reached.add(first.index());
        List<Integer> starting = new ArrayList<>();
        while (failure == null) {
            WorkerView other = nextWorker(reached);
            if (other == null) {
                break;
            }
            reached.add(other.index());
            if (!other.ready()) {
                starting.add(other.index());
            }
            failure = give(other, next, changes, null);
        }
        if (failure != null) {
            rollBack(reached, before, changes, what, failure);
            return;
        }
        accept(next);
        LOG.info("deploy/: {} rolled out to {} worker{} in {} ms{}", what, reached.size(),
                reached.size() == 1 ? "" : "s", (System.nanoTime() - began) / 1_000_000, starting.isEmpty() ? ""
                        : " (not up, so not checked: worker " + starting.stream().map(String::valueOf)
                        .collect(Collectors.joining(", worker ")) + "; it deploys it as it starts)");
    }

    /**
     * Gives worker {@code w} the set and, if it is up, waits until it serves it and, for the canary, for the
     * canary's period; returns null, or why the change must go back.
     */
    private String give(WorkerView w, Map<String, String> next, Set<String> changes, Canary settings)
            throws InterruptedException {
        Set<String> servingBefore = serving(w.modules());
        synchronized (this) {
            given.add(w.index());
            try {
                mirror(workerFolder.apply(w.index()), next);
            } catch (IOException e) {
                return "cannot copy the jars to worker " + w.index() + ": " + e;
            }
        }
        if (!w.ready()) {
            return null; // starting: it deploys the new set when it comes up
        }
        String failure = await(w, next, changes, servingBefore, settings, APPLY_TIMEOUT);
        return failure == null ? null : "on worker " + w.index() + ": " + failure;
    }

    /** Waits until worker {@code w} serves the set, then through the canary's period; null, or what failed. */
    private String await(WorkerView w, Map<String, String> set, Set<String> changes, Set<String> servingBefore,
                         Canary settings, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Long> failingSince = new HashMap<>();
        long servedAt = 0;
        long[] base = null;
        while (!stopped) {
            WorkerView now = view(w.index());
            if (now == null || now.pid() != w.pid()) {
                if (!Collections.disjoint(set.keySet(), changes)) {
                    return "its process (pid " + w.pid() + ") exited";
                }
                // Only removals: nothing of the change ran there. A module that ends its worker's process is
                // deleted to stop that, and may do it once more before the worker has removed it; the next
                // process deploys the folder, which no longer holds it.
                LOG.info("deploy/: worker {} (pid {}) exited during the removal; its next process starts without"
                        + " the removed modules", w.index(), w.pid());
                return null;
            }
            Map<String, Module> modules = byFile(now.modules());
            long t = System.nanoTime();
            for (Module m : modules.values()) {
                boolean watched = changes.contains(m.getFile()) ? m.getDigest().equals(set.get(m.getFile()))
                        : servingBefore.contains(m.getFile());
                if (watched && ModuleState.FAILED.equals(m.getState())) {
                    long since = failingSince.computeIfAbsent(m.getFile(), f -> t);
                    if (t - since >= FAILED_FOR.toNanos()) {
                        return label(m) + " (deploy/" + m.getFile() + ") failed: " + m.getProblem();
                    }
                } else {
                    failingSince.remove(m.getFile());
                }
            }
            if (base == null) {
                if (applied(modules, set, changes)) {
                    if (settings == null || settings.period().isZero()) {
                        return null;
                    }
                    servedAt = t;
                    base = counts(modules, changes);
                } else if (t - deadline > 0) {
                    return "not serving " + timeout.toSeconds() + " s after the change: "
                            + states(modules, changes);
                }
            } else if (t - servedAt >= settings.period().toNanos()) {
                // Serving at the start is not enough: an activation may have begun since (the gate asks for a
                // handler when it is registered; the worker sees it running within a second or two) and not ended.
                // The canary then starts again once it serves, within the bound from the change.
                if (!applied(modules, set, changes)) {
                    if (t - deadline > 0) {
                        return "not serving " + timeout.toSeconds() + " s after the change: "
                                + states(modules, changes);
                    }
                    base = null;
                    Thread.sleep(TICK);
                    continue;
                }
                long[] end = counts(modules, changes);
                long calls = end[0] - base[0];
                long failures = end[1] - base[1];
                if (failures > 0 && failures * 100 > (long) settings.maxFailurePercent() * calls) {
                    return failures + " of " + calls + " requests failed (code 1) in the "
                            + settings.period().toMillis() + " ms canary, more than " + settings.maxFailurePercent()
                            + "%";
                }
                LOG.info("deploy/: canary on worker {} passed: {} requests, {} failed", w.index(), calls, failures);
                return null;
            }
            Thread.sleep(TICK);
        }
        throw new InterruptedException("stopping");
    }

    /** Whether every changed file is served in its new version, and every deleted one gone. */
    private static boolean applied(Map<String, Module> modules, Map<String, String> set, Set<String> changes) {
        for (String file : changes) {
            Module m = modules.get(file);
            if (set.containsKey(file) ? m == null || !m.getDigest().equals(set.get(file))
                    || !ModuleState.SERVING.equals(m.getState()) : m != null) {
                return false;
            }
        }
        return true;
    }

    /** The calls and failures of the changed modules' handlers. */
    private static long[] counts(Map<String, Module> modules, Set<String> changes) {
        long[] sum = new long[2];
        for (String file : changes) {
            Module m = modules.get(file);
            if (m != null) {
                sum[0] += m.getCalls();
                sum[1] += m.getFailures();
            }
        }
        return sum;
    }

    private static String states(Map<String, Module> modules, Set<String> changes) {
        List<String> states = new ArrayList<>();
        for (String file : changes) {
            Module m = modules.get(file);
            states.add(file + " " + (m == null ? "not installed" : m.getState() + " " + label(m)
                    + (m.getProblem().isEmpty() ? "" : " (" + m.getProblem() + ")")));
        }
        return String.join(", ", states);
    }

    /**
     * Gives the workers that got the change the previous set again, waits (bounded) until they serve it, and refuses
     * the change: once the refusal shows, the previous version serves again.
     */
    private void rollBack(List<Integer> reached, Map<String, String> before, Set<String> changes, String what,
                          String failure) throws InterruptedException {
        Map<String, String> next;
        synchronized (this) {
            next = candidate;
            for (int index : reached) {
                try {
                    mirror(workerFolder.apply(index), before);
                } catch (IOException e) {
                    LOG.error("cannot give worker {} its modules back: {}", index, e.toString());
                }
            }
            given.clear();
            candidate = null;
        }
        LOG.warn("deploy/: {} rolled back {}; it goes no further until its jar changes", what, failure);
        for (int index : reached) {
            WorkerView w = view(index);
            if (w != null && w.ready()) {
                String back = await(w, before, changes, Set.of(), null, RESTORE_TIMEOUT);
                if (back != null) {
                    // Stuck in the change (an activation that does not return holds the update back): a new
                    // process deploys its folder, which holds the previous jars again.
                    restart.accept(index, "it does not serve the previous modules again after a roll-back: " + back);
                }
            }
        }
        synchronized (this) {
            rolling = null;
            Instant now = Instant.now();
            for (String file : changes) {
                String digest = next.getOrDefault(file, "");
                refused.put(file, new Refusal(digest, digest.isEmpty() ? "the removal of " + labels.get(
                        before.get(file)) : labels.get(digest), failure, now));
            }
        }
        forgetUnused();
    }

    /**
     * The set is in force: every worker gets it, one that started meanwhile too. In force first, so that a worker
     * started from here on is prepared with it; the workers are listed after that, outside this lock (the supervisor
     * calls this class with its own lock held).
     */
    private void accept(Map<String, String> next) {
        synchronized (this) {
            accepted = Map.copyOf(next);
            given.clear();
            candidate = null;
            rolling = null;
        }
        for (WorkerView w : workers.get()) {
            prepare(w.index());
        }
        forgetUnused();
    }

    /** Deletes the kept jars no set refers to any more. */
    private synchronized void forgetUnused() {
        try (DirectoryStream<Path> kept = Files.newDirectoryStream(store, "*.jar")) {
            for (Path jar : kept) {
                String digest = jar.getFileName().toString().replace(".jar", "");
                if (!accepted.containsValue(digest)) {
                    Files.delete(jar);
                }
            }
        } catch (IOException e) {
            LOG.debug("cannot clean {}", store, e);
        }
    }

    /** Makes {@code folder} hold exactly the set's jars; each is written whole (moved in) or not at all. */
    private void mirror(Path folder, Map<String, String> set) throws IOException {
        Files.createDirectories(folder);
        try (DirectoryStream<Path> jars = Files.newDirectoryStream(folder, "*.jar")) {
            for (Path jar : jars) {
                if (!set.containsKey(jar.getFileName().toString())) {
                    Files.delete(jar);
                }
            }
        }
        for (Map.Entry<String, String> e : set.entrySet()) {
            Path target = folder.resolve(e.getKey());
            if (Files.exists(target) && DeployJar.digest(target).equals(e.getValue())) {
                continue;
            }
            // Not *.jar, so fileinstall does not see it until it is whole.
            Path part = folder.resolve("." + e.getKey() + ".part");
            Files.copy(kept(e.getValue()), part, StandardCopyOption.REPLACE_EXISTING);
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private Path kept(String digest) {
        return store.resolve(digest + ".jar");
    }

    /** Keeps a copy of the jar under its digest; false if the jar no longer has that digest. */
    private boolean keep(Path jar, String digest) throws IOException {
        Path target = kept(digest);
        if (Files.exists(target)) {
            return true;
        }
        Path part = store.resolve(digest + ".part");
        Files.copy(jar, part, StandardCopyOption.REPLACE_EXISTING);
        if (!DeployJar.digest(part).equals(digest)) {
            Files.delete(part);
            return false;
        }
        Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
        return true;
    }

    /** The jars of deploy/ by file name. */
    private Map<String, Path> jars() throws IOException {
        Map<String, Path> jars = new TreeMap<>();
        Set<String> left = new TreeSet<>();
        if (!Files.isDirectory(deploy)) {
            return jars;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(deploy, "*.jar")) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (name.contains(BundleSets.SEPARATOR)) {
                    left.add(name);
                } else if (Files.isRegularFile(f)) {
                    jars.put(name, f);
                }
            }
        }
        if (!left.equals(misnamed.keySet())) {
            Map<String, Instant> now = new TreeMap<>();
            for (String name : left) {
                Instant since = misnamed.get(name);
                if (since == null) {
                    LOG.warn("deploy/{}: not deployed: '{}' in a jar's name is kept for the bundles of bundle sets;"
                            + " rename it", name, BundleSets.SEPARATOR);
                    since = Instant.now();
                }
                now.put(name, since);
            }
            misnamed = Map.copyOf(now);
        }
        jars.putAll(sets.modules(jars));
        scanned.keySet().retainAll(jars.values());
        return jars;
    }

    /** The jar's digest if it is a bundle, read again only when its size or time changed; null if it vanished. */
    private Scanned look(Path jar) {
        try {
            long size = Files.size(jar);
            FileTime modified = Files.getLastModifiedTime(jar);
            Scanned known = scanned.get(jar);
            if (known != null && known.size() == size && known.modified().equals(modified)) {
                return known;
            }
            DeployJar read = DeployJar.read(jar);
            String digest = read.defect() == null ? DeployJar.digest(jar) : null;
            String label = read.defect() == null ? read.symbolicName() + " " + read.version() : null;
            Scanned now = new Scanned(size, modified, digest, label);
            scanned.put(jar, now);
            if (digest != null) {
                synchronized (this) {
                    labels.put(digest, label);
                }
            }
            return now;
        } catch (IOException e) {
            return null;
        }
    }

    private WorkerView firstReadyWorker() throws InterruptedException {
        long deadline = System.nanoTime() + NO_WORKER_PATIENCE.toNanos();
        while (!stopped) {
            for (WorkerView w : workers.get()) {
                if (w.ready() && !w.retiring() && w.modules() != null) {
                    return w;
                }
            }
            if (System.nanoTime() - deadline > 0) {
                return null;
            }
            Thread.sleep(TICK);
        }
        throw new InterruptedException("stopping");
    }

    /** The next worker, in index order, that has not had the change yet; null when none is left. */
    private WorkerView nextWorker(List<Integer> reached) {
        for (WorkerView w : workers.get()) {
            if (!reached.contains(w.index()) && !w.retiring()) {
                return w;
            }
        }
        return null;
    }

    private WorkerView view(int index) {
        for (WorkerView w : workers.get()) {
            if (w.index() == index) {
                return w;
            }
        }
        return null;
    }

    private static Map<String, Module> byFile(ModuleReport report) {
        Map<String, Module> modules = new LinkedHashMap<>();
        if (report != null) {
            for (Module m : report.getModulesList()) {
                modules.put(m.getFile(), m);
            }
        }
        return modules;
    }

    private static Set<String> serving(ModuleReport report) {
        Set<String> files = new HashSet<>();
        byFile(report).forEach((file, m) -> {
            if (ModuleState.SERVING.equals(m.getState())) {
                files.add(file);
            }
        });
        return files;
    }

    private static String label(Module m) {
        return m.getSymbolicName().isEmpty() ? m.getFile() : m.getSymbolicName() + " " + m.getVersion();
    }

    /** "x 1.0.1 (x.jar), removal of y 2.0.0 (y.jar)". */
    private synchronized String describe(Set<String> files, Map<String, String> before, Map<String, String> after) {
        List<String> parts = new ArrayList<>();
        for (String file : files) {
            parts.add(after.containsKey(file) ? labels.get(after.get(file)) + " (" + file + ")"
                    : "removal of " + labels.get(before.get(file)) + " (" + file + ")");
        }
        return String.join(", ", parts);
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> all = new TreeSet<>(a);
        all.addAll(b);
        return all;
    }
}
