package org.kimserver.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;
import static org.kimserver.itest.UnzippedDistribution.await;

import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.SimpleFileServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.kimserver.testkit.WireClient;

/**
 * Bundle sets and {@code kim:install mvn:...} in the distribution: bundles by Maven coordinates, fetched from a
 * remote repository (a real HTTP server on loopback) into the configured local one, checked by the resolver before
 * any worker gets them, refused naming what is missing.
 */
public class BundleSetIT {
    private static final int SHOUT = 3001;
    private static final String MODULE = "mvn:org.kimserver.itest/shout-module/1.0.0";
    private static final String LIBRARY = "mvn:org.kimserver.itest/shout-lib/1.0.0";

    private UnzippedDistribution dist;
    private HttpServer repository;
    private Path remote;
    private Path local;

    @Before
    public void setUp() throws Exception {
        dist = UnzippedDistribution.unzip("kimserver-sets");
        remote = dist.path("remote-repository");
        local = dist.path("local-repository");
        TestBundles.shoutLibrary(Files.createDirectories(remote.resolve("org/kimserver/itest/shout-lib/1.0.0"))
                .resolve("shout-lib-1.0.0.jar"));
        TestBundles.shoutModule(Files.createDirectories(remote.resolve("org/kimserver/itest/shout-module/1.0.0"))
                .resolve("shout-module-1.0.0.jar"), SHOUT);
        repository = SimpleFileServer.createFileServer(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                remote, SimpleFileServer.OutputLevel.NONE);
        repository.start();
        dist.editConfig(json -> json.replace("\"worker_cnt\": 1,", "\"worker_cnt\": 1, \"maven_repositories\":"
                + " [\"http://127.0.0.1:" + repository.getAddress().getPort() + "\"],"
                + " \"maven_local_repository\": \"" + local + "\","));
    }

    @After
    public void tearDown() throws Exception {
        try {
            dist.close();
        } finally {
            repository.stop(0);
        }
    }

    private UnzippedDistribution.Result console(String... command) throws Exception {
        String[] args = new String[command.length + 1];
        args[0] = "console";
        System.arraycopy(command, 0, args, 1, command.length);
        return dist.kimserver(args);
    }

    private WireClient.Frame shout(String data) throws IOException {
        try (WireClient client = new WireClient(dist.gatePort())) {
            return client.call(SHOUT, data);
        }
    }

    @Test
    public void aBundleThatNeedsAnotherIsRefusedNamingItThenGoesWithItAsASetAndLeavesWithTheSet() throws Exception {
        UnzippedDistribution.Result start = dist.kimserver("start");
        assertEquals(start.output(), 0, start.exitCode());

        UnzippedDistribution.Result nowhere = console("kim:install", "mvn:org.kimserver.itest/nowhere/1.0.0");
        assertEquals(nowhere.output(), 1, nowhere.exitCode());
        assertTrue(nowhere.output(), nowhere.output().contains("refused: mvn:org.kimserver.itest/nowhere/1.0.0: not"
                + " in the local repository " + local + "; http://127.0.0.1:" + repository.getAddress().getPort()
                + "/org/kimserver/itest/nowhere/1.0.0/nowhere-1.0.0.jar: HTTP 404"));
        assertEquals(0, console("kim:uninstall", "nowhere.bundles").exitCode());

        UnzippedDistribution.Result alone = console("kim:install", MODULE);
        assertEquals(alone.output(), 1, alone.exitCode());
        assertTrue(alone.output(), alone.output().contains("deploy/shout-module.bundles (" + MODULE + "): refused:"
                + " shout-module~shout-module-1.0.0.jar (kim.itest.shout.module 1.0.0) does not resolve: nothing"
                + " provides osgi.wiring.package (&(osgi.wiring.package=org.kimserver.itest.setlib)(version>=1.0.0)"
                + "(!(version>=2.0.0)))"));
        assertTrue("downloaded into the local repository", Files.isRegularFile(
                local.resolve("org/kimserver/itest/shout-module/1.0.0/shout-module-1.0.0.jar")));
        String info = console("kim:info").output();
        assertTrue(info, info.contains("deploy/shout-module.bundles: refused: "));
        String modules = console("kim:modules").output();
        assertFalse("neither in force nor on a worker:\n" + modules, modules.contains("\n  shout"));
        assertTrue(modules, modules.contains("refused: shout-module.bundles: shout-module~shout-module-1.0.0.jar"));
        assertEquals(4, shout("hi").code());
        assertEquals(0, console("kim:uninstall", "shout-module.bundles").exitCode());

        // The module with the library it needs: one file in deploy/, both bundles go to the workers together.
        Files.writeString(dist.path("deploy/shout.bundles.part"), "# the shout module and its library\n"
                + MODULE + "\n" + LIBRARY + "\n");
        Files.move(dist.path("deploy/shout.bundles.part"), dist.path("deploy/shout.bundles"));
        await("the set's module serving", 60, () -> shout("hi").code() == 0);
        assertEquals("HI!", shout("hi").data());
        // In force once the canary has passed: worker 1 serves both, as the manager's set has them.
        Pattern served = Pattern.compile("(?m)^  shout~shout-(lib|module)-1\\.0\\.0\\.jar +kim\\.itest\\.shout\\.\\1"
                + " 1\\.0\\.0 +serving$");
        await("the set in force", 30, () -> served.matcher(console("kim:modules").output()).results().count() == 2);

        UnzippedDistribution.Result removed = console("kim:uninstall", "shout.bundles");
        assertEquals(removed.output(), 0, removed.exitCode());
        assertTrue(removed.output(), removed.output().contains("deploy/shout.bundles removed: rolled out"));
        await("the set's module gone", 30, () -> shout("hi").code() == 4);
    }

    @Test
    public void setsThatNeedEachOtherOrOverlapAreJudgedWholeAndOnlyWhatKimInstallWroteIsReplaced() throws Exception {
        UnzippedDistribution.Result start = dist.kimserver("start");
        assertEquals(start.output(), 0, start.exitCode());
        assertEquals(0, console("kim:install", LIBRARY).exitCode());
        UnzippedDistribution.Result module = console("kim:install", MODULE);
        assertEquals(module.output(), 0, module.exitCode());
        assertEquals("HI!", shout("hi").data());

        // A set of bundles that other sets have already: refused before any worker sees it.
        Files.writeString(dist.path("deploy/both.bundles"), MODULE + "\n" + LIBRARY + "\n");
        await("both.bundles refused", 30, () -> console("kim:info").output().contains("deploy/both.bundles: refused:"
                + " both~shout-module-1.0.0.jar: the same bundle is in system/ or deploy/ already, leave it out"));
        // kim:install mvn: does not write over a set it did not write.
        UnzippedDistribution.Result over = console("kim:install", "mvn:org.kimserver.other/both/1.0.0");
        assertEquals(over.output(), 1, over.exitCode());
        assertTrue(over.output(), over.output().contains("deploy/both.bundles is a set that kim:install"
                + " mvn:org.kimserver.other/both/1.0.0 did not write"));
        assertEquals(MODULE + "\n" + LIBRARY + "\n", Files.readString(dist.path("deploy/both.bundles")));

        // The library's set removed while the module needs it: the removal is rolled back, and said so at once.
        long began = System.nanoTime();
        UnzippedDistribution.Result removal = console("kim:uninstall", "shout-lib.bundles");
        assertEquals(removal.output(), 1, removal.exitCode());
        assertTrue(removal.output(), removal.output().contains("deploy/shout-lib.bundles removed: rolled back: "));
        assertTrue("decided in " + (System.nanoTime() - began) / 1_000_000 + " ms",
                System.nanoTime() - began < 60_000_000_000L);
        assertEquals("HI!", shout("hi").data());
    }
}
