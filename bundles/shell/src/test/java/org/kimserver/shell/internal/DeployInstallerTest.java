package org.kimserver.shell.internal;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import java.io.File;
import java.nio.file.Path;
import org.junit.Test;

public class DeployInstallerTest {
    private final Path jar = Path.of("/srv/kim/deploy/my module#2.jar").toAbsolutePath();
    private final String location = new File(jar.toString()).toURI().normalize().toString();

    @Test
    public void aLocationNamesItsJar() {
        assertEquals(jar, DeployInstaller.jarOf(location));
    }

    @Test
    public void aVersionInstalledBesideAnotherNamesTheSameJar() {
        // The '#' of the file name is escaped in the URI; the one that marks the second bundle is not.
        assertEquals(jar, DeployInstaller.jarOf(location + "#0a1b2c"));
    }

    @Test
    public void aLocationThatIsNoFileNamesNoJar() {
        assertNull(DeployInstaller.jarOf("mvn:org.example/x/1.0"));
        assertNull(DeployInstaller.jarOf("file:not a uri"));
    }
}
