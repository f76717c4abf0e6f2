package org.kimserver.itest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.kimserver.testkit.WireClient;

/**
 * Clients that each write thousands of pipelined session requests (cmd 1007) in one go and read the replies as they
 * come: what a stop under load must answer. Each client's outcome is "ok" when every reply came in order with code
 * 0 and then a clean close (a FIN, not a reset), else what went wrong.
 */
final class PipelinedSessions implements AutoCloseable {
    private final List<WireClient> clients = new ArrayList<>();
    private final List<CompletableFuture<Void>> writers = new ArrayList<>();
    private final List<CompletableFuture<String>> readers = new ArrayList<>();
    private final ExecutorService threads = Executors.newCachedThreadPool(); // a reader and a writer for each client

    PipelinedSessions(int port, int users, int requests) throws IOException {
        for (int user = 1; user <= users; user++) {
            WireClient client = new WireClient(port);
            clients.add(client);
            ByteArrayOutputStream frames = new ByteArrayOutputStream();
            for (int seq = 1; seq <= requests; seq++) {
                frames.writeBytes(WireClient.request(1007, seq,
                        "{\"user_id\":" + user + ",\"user_name\":\"hello - " + user + "\"}"));
            }
            writers.add(CompletableFuture.runAsync(() -> {
                try {
                    client.send(frames.toByteArray());
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }, threads));
            readers.add(CompletableFuture.supplyAsync(() -> {
                try {
                    for (int seq = 1; seq <= requests; seq++) {
                        WireClient.Frame reply = client.read();
                        if (reply.seq() != seq || reply.code() != 0) {
                            return "reply " + seq + ": seq " + reply.seq() + " code " + reply.code();
                        }
                    }
                    return client.input().read() == -1 ? "ok" : "more after the last reply";
                } catch (IOException e) {
                    return e.toString();
                }
            }, threads));
        }
    }

    /** Waits until every request is written (most are still unanswered then). */
    void awaitWritten() throws Exception {
        CompletableFuture.allOf(writers.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
    }

    /** Each client's outcome, waiting up to 60 s for each. */
    List<String> outcomes() throws Exception {
        List<String> outcomes = new ArrayList<>();
        for (CompletableFuture<String> reader : readers) {
            outcomes.add(reader.get(60, TimeUnit.SECONDS));
        }
        return outcomes;
    }

    @Override
    public void close() throws IOException {
        for (WireClient client : clients) {
            client.close();
        }
        threads.shutdownNow();
    }
}
