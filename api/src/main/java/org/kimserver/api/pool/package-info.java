/**
 * For modules that use the server's pools (a {@code javax.sql.DataSource} with {@code kim.db.node=<name>}, a
 * Lettuce {@code RedisClient} with {@code kim.redis.node=<name>}): the service properties that name a node, and the
 * mapping of a failure to the original's error codes, so that a module answers as co_kimserver's did.
 */
@Version("1.0.0")
@Export
package org.kimserver.api.pool;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
