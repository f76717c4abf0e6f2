package org.kimserver.shell.deploy;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class DeployJarTest {
    @Rule
    public TemporaryFolder folder = new TemporaryFolder();

    private static byte[] bundle(String symbolicName, String version) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        if (symbolicName != null) {
            manifest.getMainAttributes().putValue("Bundle-SymbolicName", symbolicName);
        }
        manifest.getMainAttributes().putValue("Bundle-Version", version);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (JarOutputStream jar = new JarOutputStream(bytes, manifest)) {
            jar.putNextEntry(new ZipEntry("org/example/Some.class"));
            jar.write(new byte[4096]);
        }
        return bytes.toByteArray();
    }

    private DeployJar jar(String name, byte[] content) throws IOException {
        Path file = folder.getRoot().toPath().resolve(name);
        Files.write(file, content);
        return DeployJar.read(file);
    }

    @Test
    public void everyKindOfBrokenJarHasItsReason() throws Exception {
        byte[] good = bundle("org.example.mymodule;singleton:=true", "1.0.1");
        DeployJar garbage = jar("garbage.jar", "this is no zip".getBytes());
        DeployJar truncated = jar("truncated.jar", Arrays.copyOf(good, good.length / 2));
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(zip)) {
            out.putNextEntry(new ZipEntry("readme.txt"));
        }
        DeployJar noManifest = jar("plain.jar", zip.toByteArray());
        DeployJar noName = jar("noname.jar", bundle(null, "1.0.0"));
        DeployJar badVersion = jar("badversion.jar", bundle("org.example.bad", "one"));
        DeployJar fine = jar("mymodule-1.0.1.jar", good);

        assertTrue(garbage.defect(), garbage.defect().contains("not a zip file, or truncated"));
        assertTrue(truncated.defect(), truncated.defect().contains("not a zip file, or truncated"));
        assertTrue(noManifest.defect(), noManifest.defect().contains("no manifest"));
        assertTrue(noName.defect(), noName.defect().contains("no Bundle-SymbolicName"));
        assertTrue(badVersion.defect(), badVersion.defect().contains("bad Bundle-Version"));
        assertNull(fine.defect());
        assertEquals("org.example.mymodule", fine.symbolicName());

        Map<String, String> problems = DeployJar.problems(List.of(garbage, truncated, noManifest, noName, badVersion,
                fine));
        assertEquals(List.of("garbage.jar", "truncated.jar", "plain.jar", "noname.jar", "badversion.jar"),
                List.copyOf(problems.keySet()));
    }

    @Test
    public void theOlderOfTwoVersionsIsSupersededByTheNewer() throws Exception {
        DeployJar newer = jar("mymodule-1.0.2.jar", bundle("org.example.mymodule", "1.0.2"));
        DeployJar older = jar("mymodule-1.0.1.jar", bundle("org.example.mymodule", "1.0.1"));
        DeployJar other = jar("other.jar", bundle("org.example.other", "9.0.0"));
        Map<String, String> problems = DeployJar.problems(List.of(newer, older, other));
        assertEquals(List.of("mymodule-1.0.1.jar"), List.copyOf(problems.keySet()));
        String reason = problems.get("mymodule-1.0.1.jar");
        assertTrue(reason, reason.startsWith("superseded by mymodule-1.0.2.jar (org.example.mymodule 1.0.2)"));
    }

    @Test
    public void versionsCompareAsVersionsNotAsText() throws Exception {
        DeployJar ten = jar("a-1.10.0.jar", bundle("org.example.mymodule", "1.10.0"));
        DeployJar nine = jar("b-1.9.0.jar", bundle("org.example.mymodule", "1.9.0"));
        assertEquals(List.of("b-1.9.0.jar"), List.copyOf(DeployJar.problems(List.of(ten, nine)).keySet()));
    }
}
