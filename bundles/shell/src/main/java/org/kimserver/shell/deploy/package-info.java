/**
 * What the shell knows of a jar in {@code deploy/}: shared with the manager's roll-out of modules to its workers,
 * which must judge a jar as the workers' installer will.
 */
@Version("1.0.0")
@Export
package org.kimserver.shell.deploy;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
