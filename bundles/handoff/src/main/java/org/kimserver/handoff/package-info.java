/**
 * The manager's connection hand-off, seen from outside: how many client connections went to each worker and how
 * many were closed because no worker was connected ({@link org.kimserver.handoff.HandoffDiagnostics}). The service
 * carries the hand-off socket's path in {@value org.kimserver.handoff.HandoffDiagnostics#SOCKET_PROPERTY}, for the
 * supervisor to pass to each worker as {@code -Dkimserver.handoff}.
 */
@Version("1.0.0")
@Export
package org.kimserver.handoff;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
