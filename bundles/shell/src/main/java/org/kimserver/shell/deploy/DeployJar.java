package org.kimserver.shell.deploy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.zip.ZipException;
import org.osgi.framework.Constants;
import org.osgi.framework.Version;

/**
 * A jar in {@code deploy/} as fileinstall will see it (and the manager, before it rolls the jar out to its
 * workers): a bundle (symbolic name and version), or the reason it cannot be one.
 *
 * @param file         the jar
 * @param symbolicName its Bundle-SymbolicName, without directives; null when it has none
 * @param version      its Bundle-Version (0.0.0 when absent); null when it cannot be read
 * @param defect       why fileinstall cannot install it; null when it is a bundle
 */
public record DeployJar(Path file, String symbolicName, Version version, String defect) {

    /** Reads the jar's manifest. */
    public static DeployJar read(Path file) {
        Manifest manifest;
        try (JarFile jar = new JarFile(file.toFile())) {
            manifest = jar.getManifest();
        } catch (ZipException e) {
            return defective(file, "not a jar: not a zip file, or truncated (" + e.getMessage() + ")");
        } catch (IOException | SecurityException e) {
            return defective(file, "cannot be read: " + e);
        }
        if (manifest == null) {
            return defective(file, "not a bundle: no manifest (META-INF/MANIFEST.MF)");
        }
        String name = manifest.getMainAttributes().getValue(Constants.BUNDLE_SYMBOLICNAME);
        if (name == null || name.isBlank()) {
            return defective(file, "not a bundle: its manifest has no Bundle-SymbolicName");
        }
        String symbolicName = name.split(";", 2)[0].trim();
        try {
            return new DeployJar(file, symbolicName,
                    Version.parseVersion(manifest.getMainAttributes().getValue(Constants.BUNDLE_VERSION)), null);
        } catch (IllegalArgumentException e) {
            return new DeployJar(file, symbolicName, null, "not a bundle: bad Bundle-Version (" + e.getMessage()
                    + ")");
        }
    }

    private static DeployJar defective(Path file, String reason) {
        return new DeployJar(file, null, null, reason);
    }

    /**
     * The jars that cannot be installed, and those superseded by a newer version of the same bundle in the
     * folder: file name to reason.
     */
    public static Map<String, String> problems(List<DeployJar> jars) {
        Map<String, String> problems = new LinkedHashMap<>();
        Map<String, List<DeployJar>> bySymbolicName = new LinkedHashMap<>();
        for (DeployJar jar : jars) {
            if (jar.defect() != null) {
                problems.put(jar.fileName(), jar.defect());
            } else {
                bySymbolicName.computeIfAbsent(jar.symbolicName(), n -> new ArrayList<>()).add(jar);
            }
        }
        for (List<DeployJar> versions : bySymbolicName.values()) {
            if (versions.size() < 2) {
                continue;
            }
            versions.sort(Comparator.comparing(DeployJar::version).thenComparing(DeployJar::fileName));
            DeployJar newest = versions.get(versions.size() - 1);
            for (DeployJar older : versions.subList(0, versions.size() - 1)) {
                problems.put(older.fileName(), older.version().equals(newest.version())
                        ? "the same bundle (" + older.symbolicName() + " " + older.version() + ") as "
                                + newest.fileName() + ": only one of them can be installed; remove one"
                        : "superseded by " + newest.fileName() + " (" + newest.symbolicName() + " "
                                + newest.version() + "): its version " + older.version()
                                + " is older; remove it");
            }
        }
        return problems;
    }

    /** The SHA-256 of a jar, in hex: what tells two versions of a file in deploy/ apart. */
    public static String digest(Path jar) throws IOException {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            try (InputStream in = Files.newInputStream(jar)) {
                byte[] buffer = new byte[65536];
                for (int n; (n = in.read(buffer)) > 0; ) {
                    sha.update(buffer, 0, n);
                }
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from the JDK", e);
        }
    }

    public String fileName() {
        return file.getFileName().toString();
    }
}
