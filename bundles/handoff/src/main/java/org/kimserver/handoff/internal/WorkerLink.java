package org.kimserver.handoff.internal;

import io.netty.channel.Channel;
import io.netty.channel.unix.Socket;
import io.netty.channel.unix.UnixChannel;
import java.io.IOException;
import java.util.ArrayDeque;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker's hand-off link: the client sockets given to it are sent over the link ({@code SCM_RIGHTS}), in order,
 * and the manager closes its own copy of each once it is sent; the client connection itself lives on in the worker.
 * A client here is an accepted channel that was never registered on an event loop: nothing but this closes it, so
 * its descriptor number cannot be reused by another file while it waits.
 *
 * <p>The sockets are sent with the link's own {@code sendmsg} on its event loop rather than through Netty's write:
 * when the link's buffer is full (a worker busy with a burst of clients) Netty's epoll channel fails such a write
 * with an Error and shuts the link's output down. Here a full buffer only means: try again a millisecond later.
 */
final class WorkerLink {
    private static final Logger LOG = LoggerFactory.getLogger(WorkerLink.class);
    private static final long RETRY_MILLIS = 1;

    private final String tag;
    private final Channel channel;
    private final WorkerRotation rotation;
    /** Clients not yet sent; on the link's event loop only. */
    private final ArrayDeque<Channel> waiting = new ArrayDeque<>();
    private boolean retryScheduled;

    WorkerLink(String tag, Channel channel, WorkerRotation rotation) {
        this.tag = tag;
        this.channel = channel;
        this.rotation = rotation;
    }

    String tag() {
        return tag;
    }

    boolean isConnected() {
        return channel.isActive();
    }

    /** Sends {@code client} to the worker; if the link has closed meanwhile, the rotation gives it to another. */
    void send(Channel client) {
        try {
            channel.eventLoop().execute(() -> {
                if (!channel.isActive()) {
                    rotation.handOver(client);
                    return;
                }
                waiting.add(client);
                sendWaiting();
            });
        } catch (RejectedExecutionException e) {
            client.unsafe().closeForcibly(); // the hand-off is closing
        }
    }

    private void sendWaiting() {
        retryScheduled = false;
        Socket link = (Socket) ((UnixChannel) channel).fd();
        while (!waiting.isEmpty() && channel.isActive()) {
            Channel client = waiting.peek();
            int sent;
            try {
                sent = link.sendFd(((UnixChannel) client).fd().intValue());
            } catch (IOException e) {
                LOG.warn("the hand-off link of worker {} failed: {}", tag, e.toString());
                channel.close(); // the rotation hands what waits here to the others
                return;
            }
            if (sent <= 0) { // the link's buffer is full
                if (!retryScheduled) {
                    retryScheduled = true;
                    channel.eventLoop().schedule(this::sendWaiting, RETRY_MILLIS, TimeUnit.MILLISECONDS);
                }
                return;
            }
            waiting.poll();
            rotation.handed(tag);
            client.unsafe().closeForcibly(); // the manager's copy: the worker holds the connection now
        }
    }

    /** The link has closed: what still waits goes to the other workers. On the link's event loop. */
    void handBackWaiting() {
        for (Channel client; (client = waiting.poll()) != null; ) {
            rotation.handOver(client);
        }
    }
}
