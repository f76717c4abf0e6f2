package org.kimserver.bench;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.HdrHistogram.Histogram;

/**
 * kim-bench: the original's test_tcp_pressure on Netty, which ends by itself, checks every reply and reports
 * throughput, latency percentiles and errors by code. The last line of its report is one machine-readable line.
 */
public final class KimBench {
    /** Connections being opened at once: enough to be quick, few enough not to overflow the server's backlog. */
    private static final int CONCURRENT_CONNECTS = 256;

    private KimBench() {
    }

    public static void main(String[] args) throws Exception {
        BenchOptions options;
        try {
            options = BenchOptions.parse(args);
        } catch (IllegalArgumentException e) {
            if (!e.getMessage().isEmpty()) {
                System.err.println("kim-bench: " + e.getMessage());
            }
            System.err.println(BenchOptions.USAGE);
            System.exit(2);
            return;
        }
        System.exit(run(options, System.out, System.err));
    }

    static int run(BenchOptions options, PrintStream out, PrintStream progress) throws InterruptedException {
        boolean epoll = Epoll.isAvailable();
        IoHandlerFactory io = epoll ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(options.threads(),
                new DefaultThreadFactory("kim-bench-io", true), io);
        try {
            return new KimBench().bench(options, group, epoll, out, progress);
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        }
    }

    private int bench(BenchOptions options, EventLoopGroup group, boolean epoll, PrintStream out,
                      PrintStream progress) throws InterruptedException {
        Results results = new Results();
        // As the original: ids 1..users go to the connections, the seqs of the requests follow.
        AtomicInteger seqs = new AtomicInteger(options.users());
        CountDownLatch finished = new CountDownLatch(options.users());
        ByteBuf sharedTemplate = User.templateDependsOnUser(options.cmd()) ? null
                : User.template(options.cmd(), options.burst(), 0);
        AtomicInteger userIds = new AtomicInteger();

        Bootstrap bootstrap = new Bootstrap().group(group)
                .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel channel) {
                        channel.pipeline().addLast(User.decoder(), new User(userIds.incrementAndGet(), options,
                                results, seqs, finished, sharedTemplate));
                    }
                });

        // Connect everyone first; nobody sends before all are connected (the original's start barrier).
        long connectStart = System.nanoTime();
        Semaphore connecting = new Semaphore(CONCURRENT_CONNECTS);
        AtomicInteger connectFailures = new AtomicInteger();
        AtomicReference<Throwable> connectProblem = new AtomicReference<>();
        List<Channel> channels = new ArrayList<>(options.users());
        for (int i = 0; i < options.users(); i++) {
            connecting.acquire();
            ChannelFuture connect = bootstrap.connect(options.host(), options.port());
            channels.add(connect.channel());
            connect.addListener(f -> {
                if (!f.isSuccess()) {
                    connectFailures.incrementAndGet();
                    connectProblem.compareAndSet(null, f.cause());
                }
                connecting.release();
            });
        }
        connecting.acquire(CONCURRENT_CONNECTS);
        double connectSeconds = (System.nanoTime() - connectStart) / 1e9;
        String header = String.format("kim-bench: %s:%d cmd %d, %d users x %s, burst %d, pause %d ms, %s, %d thread%s",
                options.host(), options.port(), options.cmd(), options.users(),
                options.timed() ? options.durationSeconds() + " s" : options.packets() + " packets", options.burst(),
                options.pauseMillis(), epoll ? "epoll" : "nio", options.threads(), options.threads() == 1 ? "" : "s");
        out.println(header);
        if (connectFailures.get() > 0) {
            out.printf("connect:     %d of %d connections failed: %s%n", connectFailures.get(), options.users(),
                    connectProblem.get());
            channels.forEach(Channel::close);
            return 1;
        }
        out.printf("connect:     %d connections in %.2f s%n", options.users(), connectSeconds);

        long start = System.nanoTime();
        long stopSending = options.timed() ? start + (long) (options.durationSeconds() * 1e9) : Long.MAX_VALUE;
        for (Channel channel : channels) {
            User user = (User) channel.pipeline().last();
            channel.eventLoop().execute(() -> user.start(stopSending));
        }

        long deadline = start + (long) ((options.timed() ? options.durationSeconds() : 0) + options.timeoutSeconds())
                * 1_000_000_000L;
        long lastReplies = 0;
        long lastTick = start;
        boolean complete = false;
        while (!complete && System.nanoTime() < deadline) {
            complete = finished.await(1, TimeUnit.SECONDS);
            long now = System.nanoTime();
            long replies = results.replies();
            Histogram interval = results.interval();
            if (options.progress() && !complete) {
                progress.printf("[%6.1fs] %,d replies, %,.0f/s, p99 %.2f ms, errors %d, bad %d, lost %d%n",
                        (now - start) / 1e9, replies, (replies - lastReplies) * 1e9 / (now - lastTick),
                        interval.getValueAtPercentile(99) / 1000.0, results.errorReplies.sum(),
                        results.badReplies.sum(), results.lost.sum());
            }
            lastReplies = replies;
            lastTick = now;
        }
        double seconds = ((complete ? results.lastFinishNanos() : System.nanoTime()) - start) / 1e9;
        channels.forEach(Channel::close);
        return report(options, results, complete, seconds, out);
    }

    private static int report(BenchOptions options, Results results, boolean complete, double seconds,
                              PrintStream out) {
        Histogram latency = results.total();
        long replies = results.replies();
        long sent = results.sent.sum();
        long missing = sent - replies;
        out.printf("sent:        %d requests%n", sent);
        out.printf("replies:     %d (ok %d, error code %d, bad %d)%n", replies, results.ok.sum(),
                results.errorReplies.sum(), results.badReplies.sum());
        out.printf("missing:     %d (%d connections closed by the server)%s%n", missing, results.closedUsers.sum(),
                complete ? "" : "; gave up after --timeout");
        out.printf("time:        %.3f s (from the start barrier to the last reply)%n", seconds);
        double rate = replies / seconds;
        out.printf("throughput:  %,.0f replies/s%n", rate);
        out.printf("latency:     p50 %.3f ms, p99 %.3f ms, p99.9 %.3f ms, max %.3f ms%n",
                latency.getValueAtPercentile(50) / 1000.0, latency.getValueAtPercentile(99) / 1000.0,
                latency.getValueAtPercentile(99.9) / 1000.0, latency.getMaxValue() / 1000.0);
        Map<Integer, Long> errors = results.errorsByCode();
        StringBuilder codes = new StringBuilder();
        errors.forEach((code, count) -> codes.append(codes.isEmpty() ? "" : ", ").append("code ").append(code)
                .append(": ").append(count));
        out.printf("errors:      %s%n", errors.isEmpty() ? "none" : codes);
        if (results.firstProblem() != null) {
            out.printf("problem:     %s%n", results.firstProblem());
        }
        out.printf("RESULT requests=%d ok=%d errors=%d bad=%d missing=%d seconds=%.3f rate=%.0f p50_us=%d"
                        + " p99_us=%d p999_us=%d max_us=%d%n",
                sent, results.ok.sum(), results.errorReplies.sum(), results.badReplies.sum(), missing, seconds, rate,
                latency.getValueAtPercentile(50), latency.getValueAtPercentile(99),
                latency.getValueAtPercentile(99.9), latency.getMaxValue());
        boolean clean = complete && missing == 0 && results.errorReplies.sum() == 0 && results.badReplies.sum() == 0;
        return clean ? 0 : 1;
    }
}
