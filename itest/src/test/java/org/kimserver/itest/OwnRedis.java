package org.kimserver.itest;

import java.util.ArrayList;
import java.util.List;

/** A redis-server of the test's own, without persistence. Needs redis-server, which the README's test command installs. */
final class OwnRedis extends OwnBackend {
    private final List<String> options;

    private OwnRedis(List<String> options) throws Exception {
        super("redis");
        this.options = options;
    }

    /** A Redis started with {@code options} added to its command line ("--requirepass", "secret"). */
    static OwnRedis start(String... options) throws Exception {
        OwnRedis redis = new OwnRedis(List.of(options));
        redis.startAgain();
        return redis;
    }

    @Override
    protected List<String> command() {
        List<String> command = new ArrayList<>(List.of("redis-server", "--port", Integer.toString(port), "--bind",
                "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", folder.toString()));
        command.addAll(options);
        return command;
    }
}
