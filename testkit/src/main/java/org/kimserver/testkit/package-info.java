/**
 * Testing a kimserver module in a real kimserver container with Pax Exam: {@link org.kimserver.testkit.KimContainer}
 * gives a test class's options (the bundles the distribution's workers boot, the module under test), and in the
 * test methods {@link org.kimserver.testkit.KimServer} finds the server, {@link org.kimserver.testkit.WireClient}
 * talks the wire protocol to it, {@link org.kimserver.testkit.KimShell} runs shell commands and
 * {@link org.kimserver.testkit.Await} waits for what happens in the background.
 */
@Version("1.0.0")
@Export
package org.kimserver.testkit;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
