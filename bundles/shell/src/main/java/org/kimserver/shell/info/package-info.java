/**
 * What a kimserver process reports about itself besides its problems, as a record: {@code kim:info} only
 * formats it. Problems are {@link org.kimserver.api.diag.ProblemReporter}s.
 */
@Version("1.0.0")
@Export
package org.kimserver.shell.info;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
