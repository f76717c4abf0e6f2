package org.kimserver.itest;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import org.kimserver.api.CommandHandler;
import org.kimserver.itest.setlib.Shout;
import org.kimserver.itest.setmodule.ShoutHandler;
import org.kimserver.itest.sleepy.SleepHandler;
import org.kimserver.itest.versioned.VersionedHandler;

/** Small bundle jars written at test time, for dropping into deploy/. */
final class TestBundles {

    private TestBundles() {
    }

    /**
     * Writes a jar with these manifest headers and entries (path to content), then moves it into place in one
     * step, so that the deploy watcher never sees half a jar.
     */
    static void write(Path target, Map<String, String> headers, Map<String, byte[]> entries) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().putValue("Bundle-ManifestVersion", "2");
        headers.forEach(manifest.getMainAttributes()::putValue);
        Path tmp = target.resolveSibling(target.getFileName() + ".part");
        try (OutputStream out = Files.newOutputStream(tmp); JarOutputStream jar = new JarOutputStream(out, manifest)) {
            for (var e : entries.entrySet()) {
                jar.putNextEntry(new JarEntry(e.getKey()));
                jar.write(e.getValue());
                jar.closeEntry();
            }
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    /** How long the activation of {@link Versioned#SLOW_TO_ACTIVATE} takes. */
    static final long SLOW_ACTIVATION_MS = 8000;

    /** What a version of the test bundle {@code kim.itest.versioned} does. */
    enum Versioned {
        /** Answers its command with its version. */
        SERVES,
        /** Its handler throws on every request: code 1, "handler failed!". */
        FAILS,
        /** Imports a package nobody exports: it does not resolve. */
        UNRESOLVABLE,
        /** Its handler's activation takes {@link #SLOW_ACTIVATION_MS}. */
        SLOW_TO_ACTIVATE,
        /** Its handler's activation never returns. */
        HANGS_IN_ACTIVATION,
        /** Its handler's component needs a service nobody offers: the bundle starts, the component is unsatisfied. */
        NEEDS_A_MISSING_SERVICE
    }

    /**
     * Writes a version of {@code kim.itest.versioned}: one handler of {@code cmd} ({@link VersionedHandler}), the
     * bundle's version as its reply.
     */
    static void versioned(Path jar, int cmd, String version, Versioned behaviour) throws IOException {
        String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<scr:component xmlns:scr=\"http://www.osgi.org/xmlns/scr/v1.3.0\" name=\"kim.itest.versioned\""
                + " activate=\"activate\">\n"
                + "  <implementation class=\"" + VersionedHandler.class.getName() + "\"/>\n"
                + "  <service><provide interface=\"" + CommandHandler.class.getName() + "\"/></service>\n"
                + "  <property name=\"" + CommandHandler.CMD + "\" type=\"Integer\" value=\"" + cmd + "\"/>\n"
                + "  <property name=\"reply\" value=\"" + version + "\"/>\n"
                + "  <property name=\"fails\" value=\"" + (behaviour == Versioned.FAILS) + "\"/>\n"
                + "  <property name=\"activate_ms\" value=\"" + (behaviour == Versioned.SLOW_TO_ACTIVATE ? SLOW_ACTIVATION_MS
                        : behaviour == Versioned.HANGS_IN_ACTIVATION ? Long.MAX_VALUE : 0)
                + "\"/>\n"
                + (behaviour == Versioned.NEEDS_A_MISSING_SERVICE
                        ? "  <reference name=\"missing\" interface=\"org.kimserver.nowhere.Missing\"/>\n" : "")
                + "</scr:component>\n";
        TestBundles.write(jar, Map.of("Bundle-SymbolicName", "kim.itest.versioned", "Bundle-Version", version,
                "Import-Package", behaviour == Versioned.UNRESOLVABLE ? "org.kimserver.api,org.kimserver.nowhere"
                        : "org.kimserver.api", "Service-Component", "OSGI-INF/versioned.xml"),
                Map.of("OSGI-INF/versioned.xml", TestBundles.utf8(xml),
                        VersionedHandler.class.getName().replace('.', '/') + ".class",
                        TestBundles.classBytes(VersionedHandler.class)));
    }

    /**
     * Writes {@code kim.itest.sleepy}: one handler of {@code cmd} ({@link SleepHandler}) bound to database node
     * "test" by the service property {@code kim.db.node}, which runs {@code select sleep(<request data>)}.
     */
    static void sleepy(Path jar, int cmd) throws IOException {
        handlerOfANode(jar, "kim.itest.sleepy", SleepHandler.class.getName(), cmd, "<reference name=\"db\""
                + " interface=\"javax.sql.DataSource\" target=\"(kim.db.node=test)\" field=\"db\" policy=\"dynamic\"/>",
                "javax.sql");
    }

    /**
     * Writes {@code kim.itest.popping}: one handler of {@code cmd} ({@code dedicated.PopHandler}) bound to Redis node
     * "test"'s dedicated connections (its AsyncPool), which blocks in {@code BLPOP} for the request data's seconds.
     */
    static void popping(Path jar, int cmd) throws IOException {
        // By name: the test JVM has no Lettuce to load the class with (see itest/pom.xml), only its bytes are packed.
        handlerOfANode(jar, "kim.itest.popping", "org.kimserver.itest.dedicated.PopHandler", cmd,
                "<reference name=\"pool\""
                + " interface=\"io.lettuce.core.support.AsyncPool\" target=\"(kim.redis.node=test)\" field=\"pool\"/>",
                "io.lettuce.core,io.lettuce.core.api,io.lettuce.core.api.sync,io.lettuce.core.support");
    }

    /** A bundle {@code name} 1.0.0 of one handler component (class {@code handler}) of {@code cmd}, {@code reference}. */
    private static void handlerOfANode(Path jar, String name, String handler, int cmd, String reference,
            String imports) throws IOException {
        String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<scr:component xmlns:scr=\"http://www.osgi.org/xmlns/scr/v1.3.0\" name=\"" + name + "\">\n"
                + "  <implementation class=\"" + handler + "\"/>\n"
                + "  <service><provide interface=\"" + CommandHandler.class.getName() + "\"/></service>\n"
                + "  <property name=\"" + CommandHandler.CMD + "\" type=\"Integer\" value=\"" + cmd + "\"/>\n"
                + "  " + reference + "\n"
                + "</scr:component>\n";
        String component = "OSGI-INF/" + name + ".xml";
        TestBundles.write(jar, Map.of("Bundle-SymbolicName", name, "Bundle-Version", "1.0.0",
                "Import-Package", "org.kimserver.api," + imports, "Service-Component", component),
                Map.of(component, TestBundles.utf8(xml), handler.replace('.', '/') + ".class", classBytes(handler)));
    }

    /** Writes {@code kim.itest.shout.lib} 1.0.0: a library bundle exporting {@code org.kimserver.itest.setlib}. */
    static void shoutLibrary(Path jar) throws IOException {
        TestBundles.write(jar, Map.of("Bundle-SymbolicName", "kim.itest.shout.lib", "Bundle-Version", "1.0.0",
                "Export-Package", "org.kimserver.itest.setlib;version=1.0.0"),
                Map.of(Shout.class.getName().replace('.', '/') + ".class", classBytes(Shout.class)));
    }

    /**
     * Writes {@code kim.itest.shout.module} 1.0.0: one handler of {@code cmd} ({@link ShoutHandler}) that needs the
     * library of {@link #shoutLibrary}.
     */
    static void shoutModule(Path jar, int cmd) throws IOException {
        String xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                + "<scr:component xmlns:scr=\"http://www.osgi.org/xmlns/scr/v1.3.0\" name=\"kim.itest.shout\">\n"
                + "  <implementation class=\"" + ShoutHandler.class.getName() + "\"/>\n"
                + "  <service><provide interface=\"" + CommandHandler.class.getName() + "\"/></service>\n"
                + "  <property name=\"" + CommandHandler.CMD + "\" type=\"Integer\" value=\"" + cmd + "\"/>\n"
                + "</scr:component>\n";
        TestBundles.write(jar, Map.of("Bundle-SymbolicName", "kim.itest.shout.module", "Bundle-Version", "1.0.0",
                "Import-Package", "org.kimserver.api,org.kimserver.itest.setlib;version=\"[1,2)\"",
                "Service-Component", "OSGI-INF/shout.xml"),
                Map.of("OSGI-INF/shout.xml", TestBundles.utf8(xml),
                        ShoutHandler.class.getName().replace('.', '/') + ".class", classBytes(ShoutHandler.class)));
    }

    static byte[] classBytes(Class<?> type) throws IOException {
        return classBytes(type.getName());
    }

    /** The bytes of a class of the tests, read as a resource: the class need not be loadable here. */
    private static byte[] classBytes(String className) throws IOException {
        try (InputStream in = TestBundles.class.getResourceAsStream("/" + className.replace('.', '/') + ".class")) {
            return in.readAllBytes();
        }
    }

    static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
