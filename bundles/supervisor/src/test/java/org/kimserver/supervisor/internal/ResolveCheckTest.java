package org.kimserver.supervisor.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The framework's resolver on bundles of the test's own making. */
public class ResolveCheckTest {
    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private Path jar(String name, Map<String, String> headers) throws Exception {
        return TestJars.bundle(folder.getRoot().toPath().resolve(name + ".jar"), name, "1.0.0", headers);
    }

    private Path work() throws Exception {
        return Files.createTempDirectory(folder.getRoot().toPath(), "work");
    }

    @Test
    public void anImporterResolvesBesideItsExporterWhereverThatComesFrom() throws Exception {
        Path exporter = jar("lib", Map.of("Export-Package", "org.example.lib;version=1.2"));
        Path importer = jar("app", Map.of("Import-Package", "org.example.lib;version=\"[1,2)\""));
        assertNull(ResolveCheck.unresolved(List.of(exporter), List.of(), Map.of("app", importer), work()));
        assertNull(ResolveCheck.unresolved(List.of(), List.of(exporter), Map.of("app", importer), work()));
        assertNull(ResolveCheck.unresolved(List.of(), List.of(), Map.of("lib", exporter, "app", importer), work()));
    }

    @Test
    public void anImporterAloneIsNamedWithWhatNothingProvides() throws Exception {
        Path importer = jar("app", Map.of("Import-Package", "org.example.lib, javax.xml.bind;resolution:=optional"));
        Path work = work();
        String problem = ResolveCheck.unresolved(List.of(), List.of(), Map.of("set~app-1.0.0.jar", importer), work);
        assertEquals("set~app-1.0.0.jar (app 1.0.0) does not resolve: nothing provides osgi.wiring.package"
                + " (osgi.wiring.package=org.example.lib)", problem);
        assertTrue("the framework's storage is deleted", Files.notExists(work));
    }

    @Test
    public void aVersionOutsideTheRangeIsNotAProvider() throws Exception {
        Path exporter = jar("lib", Map.of("Export-Package", "org.example.lib;version=2.0"));
        Path importer = jar("app", Map.of("Import-Package", "org.example.lib;version=\"[1,2)\""));
        String problem = ResolveCheck.unresolved(List.of(exporter), List.of(), Map.of("app", importer), work());
        assertTrue(problem, problem.contains("nothing provides osgi.wiring.package (&(osgi.wiring.package="
                + "org.example.lib)(version>=1.0.0)(!(version>=2.0.0)))"));
    }

    @Test
    public void aCopyOfASystemBundleIsNamed() throws Exception {
        Path system = jar("lib", Map.of());
        Path copy = TestJars.bundle(folder.getRoot().toPath().resolve("copy/lib.jar"), "lib", "1.0.0", Map.of());
        IOException e = assertThrows(IOException.class,
                () -> ResolveCheck.unresolved(List.of(system), List.of(), Map.of("set~lib-1.0.0.jar", copy), work()));
        assertEquals("set~lib-1.0.0.jar: the same bundle is in system/ or deploy/ already, leave it out (Bundle"
                + " symbolic name and version are not unique: lib:1.0.0)", e.getMessage());
    }

    @Test
    public void oneJarInTwoSetsIsNamedToo() throws Exception {
        Path lib = jar("lib", Map.of());
        IOException e = assertThrows(IOException.class,
                () -> ResolveCheck.unresolved(List.of(), List.of(lib), Map.of("other~lib-1.0.0.jar", lib), work()));
        assertTrue(e.getMessage(), e.getMessage().startsWith("other~lib-1.0.0.jar: the same bundle is in system/ or"
                + " deploy/ already, leave it out (lib 1.0.0, reference:file:"));
    }

    @Test
    public void aJdkPackageComesFromTheSystemBundle() throws Exception {
        Path importer = jar("app", Map.of("Import-Package", "javax.sql, javax.net.ssl"));
        assertNull(ResolveCheck.unresolved(List.of(), List.of(), Map.of("app", importer), work()));
    }
}
