package org.kimserver.api.diag;

import java.time.Duration;

/**
 * What a kimserver process is and how it does, as {@code kim:info} shows it (and, later, as a manager gathers it
 * from its workers).
 *
 * @param version            the kimserver version (of the shell bundle)
 * @param serverName         server_name
 * @param nodeType           node_type
 * @param workerCount        worker_cnt
 * @param processTag         M0 for the manager, W&lt;n&gt; for worker n
 * @param pid                the operating system's process id
 * @param javaVersion        the Java runtime's version
 * @param uptime             how long the JVM has run
 * @param home               the distribution folder
 * @param gateAddress        where the gate listens (gate_host:gate_port, the port it got for a gate_port of 0);
 *                           empty when the gate is not configured to listen
 * @param nodeAddress        node_host:node_port as configured; empty when not configured
 * @param bundles            bundles installed
 * @param fragments          of them, fragments
 * @param bundlesRunning     bundles active, and fragments resolved
 * @param components         component configurations
 * @param componentsActive   of them, active
 * @param componentsSatisfied of them, satisfied but not active yet (lazy)
 */
public record ServerInfo(String version, String serverName, String nodeType, int workerCount, String processTag,
                         long pid, String javaVersion, Duration uptime, String home, String gateAddress,
                         String nodeAddress, int bundles, int fragments, int bundlesRunning, int components,
                         int componentsActive, int componentsSatisfied) {
}
