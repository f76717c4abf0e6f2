/**
 * The kimserver API that business modules program against. This bundle changes rarely, so that updating a
 * business bundle never refreshes the core.
 */
@Version("1.1.0")
@Export
package org.kimserver.api;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
