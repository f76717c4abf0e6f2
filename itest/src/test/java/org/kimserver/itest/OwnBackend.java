package org.kimserver.itest;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.kimserver.testkit.KimContainer;

/**
 * A backend server of a test's own (Redis, MariaDB) on a free loopback port with its own folder, so that a test can
 * kill it and start it again without touching the shared one.
 */
abstract class OwnBackend implements AutoCloseable {
    protected final Path folder;
    protected final int port;
    private Process server;

    OwnBackend(String name) throws IOException {
        folder = Files.createTempDirectory("kim-" + name);
        port = KimContainer.freePort();
    }

    int port() {
        return port;
    }

    /** The server's command line. */
    protected abstract List<String> command();

    /** Starts the server on its folder and port, and waits until it accepts connections. */
    void startAgain() throws Exception {
        Path log = folder.resolve("server.log");
        server = new ProcessBuilder(command()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        UnzippedDistribution.await(command().get(0) + " accepting on port " + port, 60, () -> {
            if (!server.isAlive()) {
                throw new AssertionError(command().get(0) + " exited: " + Files.readString(log));
            }
            try (Socket s = new Socket("127.0.0.1", port)) {
                return true;
            } catch (IOException e) {
                return false;
            }
        });
    }

    /** Hangs the server (SIGSTOP: it keeps its connections and answers nothing), or lets it go on (SIGCONT). */
    void hang(boolean hung) throws Exception {
        Process signal = new ProcessBuilder("kill", hung ? "-STOP" : "-CONT", Long.toString(server.pid())).start();
        if (!signal.waitFor(10, TimeUnit.SECONDS) || signal.exitValue() != 0) {
            throw new AssertionError("kill " + (hung ? "-STOP" : "-CONT") + " " + server.pid() + " failed");
        }
    }

    /** Kills the server (SIGKILL) and waits for its end. */
    void kill() throws InterruptedException {
        server.destroyForcibly();
        server.waitFor(30, TimeUnit.SECONDS);
    }

    @Override
    public void close() throws Exception {
        if (server != null) {
            kill();
        }
        KimContainer.deleteTree(folder);
    }
}
