package org.kimserver.gate.internal;

import org.kimserver.api.Request;

/** One decoded request; the data was copied out of the network buffer, so it outlives the read. */
record GateRequest(int cmd, int seq, byte[] data) implements Request {
}
