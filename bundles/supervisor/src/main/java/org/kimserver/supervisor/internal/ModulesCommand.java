package org.kimserver.supervisor.internal;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.felix.service.command.Descriptor;
import org.kimserver.proto.Module;
import org.kimserver.shell.deploy.DeployJar;
import org.kimserver.supervisor.internal.WorkerSupervisor.WorkerView;

/**
 * {@code kim:modules}: the modules of deploy/ in force, each worker's as it last reported them (a worker that differs
 * is flagged), the roll-out under way and the changes rolled back; {@code kim:install} and {@code kim:uninstall}
 * change deploy/ and wait for the roll-out's outcome. Registered by {@link SupervisorComponent}.
 */
final class ModulesCommand {
    /** How long kim:install and kim:uninstall wait for the roll-out: long enough for a canary and a few workers. */
    static final Duration OUTCOME_WAIT = Duration.ofMinutes(3);
    private final ModuleRollout rollout;
    private final WorkerSupervisor supervisor;
    private final Path deploy;

    ModulesCommand(ModuleRollout rollout, WorkerSupervisor supervisor, Path deploy) {
        this.rollout = rollout;
        this.supervisor = supervisor;
        this.deploy = deploy.toAbsolutePath().normalize();
    }

    @Descriptor("the modules of deploy/ in force and on each worker, the roll-out under way and what was rolled back"
            + " (usage: kim:modules)")
    public String modules() {
        return format(rollout.snapshot(), rollout.canary(), supervisor.views());
    }

    @Descriptor("copies a module's jar into deploy/ (a new one, or over the jar of the same name), or writes a bundle"
            + " set of one bundle from a Maven repository (deploy/<artifactId>.bundles), and waits until the roll-out"
            + " to the workers has put it in force or refused it (usage: kim:install <path of a jar> | kim:install"
            + " mvn:<groupId>/<artifactId>/<version>)")
    public String install(@Descriptor("the jar, or mvn:<groupId>/<artifactId>/<version>") String jar)
            throws IOException, InterruptedException {
        if (jar.startsWith("mvn:")) {
            return installSet(MavenCoordinates.parse(jar));
        }
        Path source = Path.of(jar).toAbsolutePath();
        String name = source.getFileName().toString();
        if (!name.endsWith(".jar")) {
            throw new IllegalArgumentException(jar + ": only *.jar files of deploy/ are modules; name it <name>.jar");
        }
        if (name.contains(BundleSets.SEPARATOR)) {
            throw new IllegalArgumentException(jar + ": '" + BundleSets.SEPARATOR + "' in a jar's name is kept for the"
                    + " bundles of bundle sets; rename it");
        }
        DeployJar read = DeployJar.read(source);
        if (read.defect() != null) {
            throw new IllegalArgumentException(jar + ": " + read.defect());
        }
        Path target = deploy.resolve(name);
        Path part = deploy.resolve("." + name + ".part");
        Files.copy(source, part, StandardCopyOption.REPLACE_EXISTING);
        Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        // An install is tried even when these bytes were rolled back before (a canary that died of something else).
        rollout.retry(name);
        return outcome("deploy/" + name + " (" + read.symbolicName() + " " + read.version() + "): ",
                awaitOutcome(name, DeployJar.digest(target)));
    }

    /** Writes {@code deploy/<artifactId>.bundles} naming {@code artifact} and waits for its outcome. */
    private String installSet(MavenCoordinates artifact) throws IOException, InterruptedException {
        String name = artifact.artifactId() + BundleSets.SUFFIX;
        Path target = deploy.resolve(name);
        // Its first line says who wrote it: an update replaces only a set this command wrote for this artifact.
        String mark = "# kim:install mvn:" + artifact.groupId() + "/" + artifact.artifactId() + "/";
        if (Files.exists(target) && !Files.readString(target).startsWith(mark)) {
            throw new IllegalArgumentException("deploy/" + name + " is a set that kim:install " + artifact + " did not"
                    + " write; add the line " + artifact + " to it, or remove it first");
        }
        Path part = deploy.resolve("." + name + ".part");
        Files.writeString(part, "# kim:install " + artifact + "\n" + artifact + "\n");
        Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        rollout.retry(name); // tried again even when refused before: the repository may have it now
        return outcome("deploy/" + name + " (" + artifact + "): ", awaitOutcome(name, DeployJar.digest(target)));
    }

    @Descriptor("deletes a module's jar or a bundle set from deploy/ and waits until the workers have removed it, or"
            + " the removal was rolled back (usage: kim:uninstall <file name in deploy/>)")
    public String uninstall(@Descriptor("the jar's or the set's file name in deploy/") String file)
            throws IOException, InterruptedException {
        Path target = deploy.resolve(file).normalize();
        String name = target.getFileName().toString();
        String set = BundleSets.setOf(name);
        if (set != null && name.endsWith(".jar")) {
            throw new IllegalArgumentException(file + " is a bundle of the set deploy/" + set + ": remove it from the"
                    + " set's file, or the set with kim:uninstall " + set);
        }
        if (!target.getParent().equals(deploy) || !(name.endsWith(".jar") || name.endsWith(BundleSets.SUFFIX))
                || !Files.deleteIfExists(target)) {
            throw new IllegalArgumentException("deploy/ has no module " + file + " (kim:modules lists them)");
        }
        return outcome("deploy/" + name + " removed: ", awaitOutcome(name, ""));
    }

    /** The outcome after {@code what}; a roll-back or no decision fails the command (the console exits 1). */
    private static String outcome(String what, String outcome) {
        if (!outcome.equals(ModuleRollout.ROLLED_OUT)) {
            throw new IllegalStateException(what + outcome);
        }
        return what + outcome;
    }

    private String awaitOutcome(String file, String digest) throws InterruptedException {
        long deadline = System.nanoTime() + OUTCOME_WAIT.toNanos();
        while (System.nanoTime() - deadline < 0) {
            String outcome = rollout.outcome(file, digest);
            if (outcome != null) {
                return outcome;
            }
            Thread.sleep(100);
        }
        return "not decided after " + OUTCOME_WAIT.toSeconds() + " s; kim:modules shows where the roll-out is";
    }

    static String format(ModuleRollout.Snapshot snapshot, ModuleRollout.Canary canary, List<WorkerView> workers) {
        int fileWidth = "file".length();
        int bundleWidth = "bundle".length();
        for (String file : snapshot.accepted().keySet()) {
            fileWidth = Math.max(fileWidth, file.length());
        }
        for (String label : snapshot.labels().values()) {
            bundleWidth = Math.max(bundleWidth, label.length());
        }
        for (WorkerView w : workers) {
            if (w.modules() != null) {
                for (Module m : w.modules().getModulesList()) {
                    fileWidth = Math.max(fileWidth, m.getFile().length());
                    bundleWidth = Math.max(bundleWidth, bundle(m).length());
                }
            }
        }
        String row = "  %-" + fileWidth + "s  %-" + bundleWidth + "s  %s%n";
        StringBuilder out = new StringBuilder();
        out.append(String.format("in force (canary %d ms, rolled back above %d%% failed requests):%n",
                canary.period().toMillis(), canary.maxFailurePercent()));
        if (snapshot.accepted().isEmpty()) {
            out.append("  none\n");
        }
        snapshot.accepted().forEach((file, digest) -> out.append(String.format(row, file,
                snapshot.labels().getOrDefault(digest, "?"), "")));
        for (WorkerView w : workers) {
            out.append("worker ").append(w.index()).append(w.pid() < 0 ? " (not running)"
                    : " (pid " + w.pid() + ")").append(w.retiring() ? ", stopping" : "").append(":\n");
            if (w.modules() == null) {
                out.append("  no report yet\n");
                continue;
            }
            Map<String, Module> reported = new TreeMap<>();
            w.modules().getModulesList().forEach(m -> reported.put(m.getFile(), m));
            for (Module m : reported.values()) {
                String differs = m.getDigest().equals(snapshot.accepted().get(m.getFile())) ? ""
                        : "  DIFFERS from the version in force";
                out.append(String.format(row, m.getFile(), bundle(m), m.getState()
                        + (m.getProblem().isEmpty() ? "" : ": " + m.getProblem()) + differs));
            }
            snapshot.accepted().keySet().stream().filter(file -> !reported.containsKey(file))
                    .forEach(file -> out.append(String.format(row, file, "-", "MISSING: not deployed on this worker")));
        }
        if (snapshot.rolling() != null) {
            out.append("rolling out: ").append(snapshot.rolling()).append('\n');
        }
        if (snapshot.looking() != null) {
            out.append("looking at: ").append(snapshot.looking()).append('\n');
        }
        snapshot.refusals().forEach((file, why) -> out.append("rolled back: ").append(file).append(": ").append(why)
                .append('\n'));
        snapshot.setRefusals().forEach((file, why) -> out.append("refused: ").append(file).append(": ").append(why)
                .append('\n'));
        return out.toString();
    }

    private static String bundle(Module m) {
        return m.getSymbolicName().isEmpty() ? "-" : m.getSymbolicName() + " " + m.getVersion();
    }
}
