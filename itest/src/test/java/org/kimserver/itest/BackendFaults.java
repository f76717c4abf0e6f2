package org.kimserver.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.concurrent.TimeUnit;
import org.kimserver.testkit.WireClient;

/** What a client of a command that uses a backend must see while the backend is down, and once it is back. */
final class BackendFaults {
    private BackendFaults() {
    }

    /** Ten requests on one connection, each answered within a second with the error reply, the connection open. */
    static void answeredWithinASecond(WireClient client, int cmd, int code, String msg) throws Exception {
        for (int seq = 2; seq < 12; seq++) {
            long sent = System.nanoTime();
            WireClient.Frame reply = client.send(WireClient.request(cmd, seq, "")).read();
            long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sent);
            assertEquals(cmd + 1, reply.cmd());
            assertEquals(seq, reply.seq());
            assertEquals("the original's code", code, reply.code());
            assertEquals(msg, reply.msg());
            assertTrue("answered in " + tookMs + " ms", tookMs < 1000);
        }
    }

    /**
     * Sends requests from the moment the backend is back until one succeeds, which must be within 2 s; the seq of
     * the last request sent.
     */
    static int servedAgainWithinTwoSeconds(WireClient client, int cmd) throws Exception {
        long back = System.nanoTime();
        int seq = 100;
        WireClient.Frame reply;
        do {
            reply = client.send(WireClient.request(cmd, ++seq, "")).read();
        } while (reply.code() != 0 && System.nanoTime() - back < TimeUnit.SECONDS.toNanos(10));
        long servedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - back);
        assertEquals("served again: " + reply.msg(), 0, reply.code());
        assertTrue("served again " + servedMs + " ms after the backend came back", servedMs < 2000);
        return seq;
    }
}
