package org.kimserver.launcher;

import static org.junit.Assert.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class ConsoleClientTest {
    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    /**
     * -w all asks each worker whose socket is there, in the order of their numbers (10 after 9), and nothing else:
     * not the manager's socket, not a name that only looks like a worker's, not a link whose socket is gone.
     */
    @Test
    public void everyWorkerIsTheWorkersWithASocketInNumberOrder() throws Exception {
        Path run = folder.newFolder("run").toPath();
        for (String name : List.of("console.sock", "console-w10.sock", "console-w9.sock", "console-w2.sock",
                "console-w0.sock", "console-w02.sock", "console-w3.error", "console-wx.sock", "console-w4.sock.tmp")) {
            Files.createFile(run.resolve(name));
        }
        Files.createSymbolicLink(run.resolve("console-w5.sock"), folder.getRoot().toPath().resolve("gone/x.sock"));
        Path elsewhere = Files.createFile(folder.getRoot().toPath().resolve("w6.sock"));
        Files.createSymbolicLink(run.resolve("console-w6.sock"), elsewhere);

        assertEquals(List.of(2, 6, 9, 10), ConsoleClient.workersWithASocket(run));
    }

    @Test
    public void withoutARunFolderThereIsNoWorker() {
        assertEquals(List.of(), ConsoleClient.workersWithASocket(folder.getRoot().toPath().resolve("missing")));
    }
}
