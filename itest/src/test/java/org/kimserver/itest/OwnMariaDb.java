package org.kimserver.itest;

import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A mariadbd of the test's own, on a data folder made for it. Anyone may connect as root without a password (grant
 * tables skipped). Needs mariadb-install-db and mariadbd (mariadb-server), which the README's test command installs.
 */
final class OwnMariaDb extends OwnBackend {
    private OwnMariaDb() throws Exception {
        super("mariadb");
    }

    /** A new data folder, and the server started on it. */
    static OwnMariaDb start() throws Exception {
        OwnMariaDb db = new OwnMariaDb();
        List<String> install = new ArrayList<>(List.of("mariadb-install-db", "--no-defaults",
                "--datadir=" + db.folder.resolve("data"), "--auth-root-authentication-method=normal",
                "--skip-test-db"));
        install.addAll(asRoot());
        Process p = new ProcessBuilder(install).redirectErrorStream(true)
                .redirectOutput(db.folder.resolve("install.log").toFile()).start();
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new AssertionError("mariadb-install-db failed: " + Files.readString(db.folder.resolve("install.log")));
        }
        db.startAgain();
        return db;
    }

    @Override
    protected List<String> command() {
        List<String> command = new ArrayList<>(List.of("mariadbd", "--no-defaults",
                "--datadir=" + folder.resolve("data"), "--port=" + port, "--bind-address=127.0.0.1",
                "--socket=" + folder.resolve("mysqld.sock"), "--pid-file=" + folder.resolve("mysqld.pid"),
                "--skip-grant-tables", "--skip-log-bin", "--innodb-buffer-pool-size=16M"));
        command.addAll(asRoot());
        return command;
    }

    /** mariadbd refuses to run as root unless told to. */
    private static List<String> asRoot() {
        return "root".equals(System.getProperty("user.name")) ? List.of("--user=root") : List.of();
    }
}
