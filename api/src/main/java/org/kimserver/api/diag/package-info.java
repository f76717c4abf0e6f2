/**
 * What a kimserver process reports about itself, as values: problems an operator must see (gathered by
 * {@code kim:info}) and, later, the statistics a manager process collects from its workers. The shell commands
 * only format these records.
 */
@Version("1.4.0")
@Export
package org.kimserver.api.diag;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
