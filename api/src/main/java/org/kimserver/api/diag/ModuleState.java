package org.kimserver.api.diag;

/**
 * A module of this process's deploy folder: the jar, the bundle installed from it and whether it serves.
 *
 * @param file         the jar's file name
 * @param digest       the SHA-256 (hex) of the jar the bundle was installed or updated from, or of the jar that was
 *                     refused; empty while nothing has been done with the jar yet
 * @param symbolicName the bundle's symbolic name; empty when none is installed
 * @param version      the bundle's version; empty when none is installed
 * @param state        {@link #SERVING}, {@link #FAILED} or {@link #PENDING}
 * @param problem      why it is {@link #FAILED}, or what a {@link #PENDING} one waits for (an activation that runs);
 *                     null otherwise
 */
public record ModuleState(String file, String digest, String symbolicName, String version, String state,
                          String problem) {
    /** Installed and started (a fragment: resolved), and every component of it satisfied. */
    public static final String SERVING = "serving";
    /** Refused, not resolved, its start or a component's activation failed: {@code problem} says which. */
    public static final String FAILED = "failed";
    /** Being installed, updated, started (its activations still running) or uninstalled. */
    public static final String PENDING = "pending";
}
