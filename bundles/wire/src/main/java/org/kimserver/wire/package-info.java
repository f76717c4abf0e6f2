/**
 * The co_kimserver frame: a 15-byte head written by hand ({@code 0D cmd 15 seq 1D len}, little-endian, zeros
 * included) and a protobuf {@code MsgBody} of {@code len} bytes. Reading and writing work on Netty buffers without
 * building protobuf objects, since this is the per-request path; the tests check the bytes against protobuf's own
 * encoding and parser. {@link org.kimserver.wire.FrameDecoder} is the one frame loop, shared by the gate, kim-bench
 * and node links.
 */
@Version("1.1.0")
@Export
package org.kimserver.wire;

import org.osgi.annotation.bundle.Export;
import org.osgi.annotation.versioning.Version;
