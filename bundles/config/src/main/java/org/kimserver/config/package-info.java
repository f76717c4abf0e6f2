/**
 * {@code etc/kimserver.json}: its keys declared once ({@link org.kimserver.config.ConfigSchema}), and the validator
 * that turns the file into Config Admin configurations ({@link org.kimserver.config.KimConfig}), and the place of a
 * process's Unix domain sockets under the home ({@link org.kimserver.config.RuntimeSocket}). Free of OSGi classes: the
 * launcher uses it from its class path to refuse a broken file before the framework starts.
 */
@Version("1.3.0")
@Export
package org.kimserver.config;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
