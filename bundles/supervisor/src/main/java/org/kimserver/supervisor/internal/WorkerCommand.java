package org.kimserver.supervisor.internal;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * The command line of worker {@code n}: {@code <java> <the manager's JVM options but its -Dkimserver.*>
 * <worker_java_opts> <class data sharing's> -Dkimserver.home=<home> -Dkimserver.name=<server_name>_w_<n>
 * -Dkimserver.control=<socket> -Dkimserver.deploy=<its deploy folder> [-Dkimserver.handoff=<socket>]
 * -cp <class path> <main class> worker <n>}.
 * The worker options come after the manager's, so one of them (-Xmx256m) wins over the manager's own; the -D
 * properties come last, so they win over any the options set.
 *
 * @param handoffSocket the hand-off socket at the time of the spawn, {@code null} when there is none
 */
record WorkerCommand(String java, List<String> managerOptions, List<String> workerOptions, String home,
                     String serverName, Path controlSocket, Supplier<String> handoffSocket, String classPath,
                     String mainClass) {

    WorkerCommand {
        managerOptions = List.copyOf(managerOptions);
        workerOptions = List.copyOf(workerOptions);
    }

    /** The same command with other worker_java_opts. */
    WorkerCommand withWorkerOptions(List<String> options) {
        return new WorkerCommand(java, managerOptions, options, home, serverName, controlSocket, handoffSocket,
                classPath, mainClass);
    }

    /** The JVM options of every worker: the manager's but its -Dkimserver.*, then worker_java_opts. */
    List<String> options() {
        List<String> options = new ArrayList<>();
        // The manager's own -Dkimserver.* properties are not the worker's: it gets its own.
        managerOptions.stream().filter(option -> !option.startsWith("-Dkimserver.")).forEach(options::add);
        options.addAll(workerOptions);
        return options;
    }

    /** @param sharing the options of its class data sharing ({@link ClassDataSharing}) */
    List<String> forWorker(int index, List<String> sharing) {
        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(options());
        command.addAll(sharing);
        command.add("-Dkimserver.home=" + home);
        command.add("-Dkimserver.name=" + processName(serverName, index));
        command.add("-Dkimserver.control=" + controlSocket);
        command.add("-Dkimserver.deploy=" + deployFolder(index));
        String handoff = handoffSocket.get();
        if (handoff != null) {
            command.add("-Dkimserver.handoff=" + handoff);
        }
        command.add("-cp");
        command.add(classPath);
        command.add(mainClass);
        command.add("worker");
        command.add(Integer.toString(index));
        return command;
    }

    /**
     * The folder worker {@code index} deploys modules from, {@code data/w<n>/deploy}: the manager copies the jars of
     * deploy/ there, to one worker after another ({@link ModuleRollout}).
     */
    Path deployFolder(int index) {
        return Path.of(home, "data", "w" + index, "deploy");
    }

    /** The worker's name in {@code ps} and its log file's: the original's process title. */
    static String processName(String serverName, int index) {
        return serverName + "_w_" + index;
    }
}
