package org.kimserver.gate.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import java.io.IOException;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.After;
import org.junit.Test;
import org.kimserver.gate.internal.GateListener.Target;
import org.slf4j.LoggerFactory;

/**
 * {@code is_reuseport}: two gates (two listeners, as two worker processes would have) on one port, and the kernel
 * spreading the clients over both; on epoll and on NIO.
 */
public class ReusePortTest {
    private static final int CLIENTS = 64;
    private final List<GateListener> listeners = new ArrayList<>();

    @After
    public void close() {
        listeners.forEach(GateListener::close);
    }

    /** A listener that counts the connections it accepts and closes each at once. */
    private GateListener listen(Transport transport, int port, boolean reusePort, AtomicInteger accepted)
            throws Exception {
        GateListener listener = GateListener.open(new Target("127.0.0.1", port, 1, reusePort, null), transport,
                new AcceptFailures(new GateCounters(), ClientLogs.create(LoggerFactory.getLogger(getClass()),
                        System::nanoTime)),
                (channel, self) -> {
                    self.adopt(channel);
                    accepted.incrementAndGet();
                    channel.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {1}))
                            .addListener(ChannelFutureListener.CLOSE);
                });
        listeners.add(listener);
        return listener;
    }

    private static void connectClients(int port) throws IOException {
        for (int i = 0; i < CLIENTS; i++) {
            try (Socket client = new Socket("127.0.0.1", port)) {
                client.setSoTimeout(5000);
                assertEquals("accepted and answered", 1, client.getInputStream().read());
            }
        }
    }

    private void bothGetConnections(Transport transport) throws Exception {
        AtomicInteger first = new AtomicInteger();
        AtomicInteger second = new AtomicInteger();
        int port = listen(transport, 0, true, first).address().getPort();
        listen(transport, port, true, second);
        connectClients(port);
        assertEquals(CLIENTS, first.get() + second.get());
        // The kernel picks a listener by a hash of the client's address and port: 64 clients all on one listener
        // would happen once in 2^63 runs.
        assertTrue("both listeners got connections: " + first + " and " + second, first.get() > 0 && second.get() > 0);
    }

    @Test
    public void twoEpollGatesShareThePortAndBothGetConnections() throws Exception {
        Transport epoll = Transport.best();
        assertTrue("native epoll is on the test class path: " + Transport.epollUnavailableReason(), epoll.isEpoll());
        bothGetConnections(epoll);
    }

    @Test
    public void twoNioGatesShareThePortToo() throws Exception {
        bothGetConnections(Transport.nio());
    }

    @Test
    public void withoutReusePortTheSecondGateCannotListen() throws Exception {
        int port = listen(Transport.best(), 0, false, new AtomicInteger()).address().getPort();
        try {
            listen(Transport.best(), port, false, new AtomicInteger());
            fail("two listeners on one port without SO_REUSEPORT");
        } catch (IOException expected) { // epoll throws a NativeIoException, NIO a BindException
            assertTrue(expected.getMessage(), expected.getMessage().contains("Address already in use"));
        }
    }

    @Test
    public void aGateWithReusePortCannotJoinOneWithout() throws Exception {
        int port = listen(Transport.best(), 0, false, new AtomicInteger()).address().getPort();
        try {
            listen(Transport.best(), port, true, new AtomicInteger());
            fail("the kernel lets a listener share a port only with listeners that set SO_REUSEPORT too");
        } catch (IOException expected) { // epoll throws a NativeIoException, NIO a BindException
            assertTrue(expected.getMessage(), expected.getMessage().contains("Address already in use"));
        }
    }

    @Test
    public void listenersWithReusePortOnTheSamePortDoNotTakeEachOthersPort() {
        Target a = new Target("127.0.0.1", 3355, 1, true, null);
        assertEquals(false, a.samePort(new Target("127.0.0.1", 3355, 2, true, null)));
        assertEquals(true, a.samePort(new Target("127.0.0.1", 3355, 2, false, null)));
        assertEquals(false, a.samePort(new Target("127.0.0.1", 3355, 2, false, "/tmp/h.sock")));
    }
}
