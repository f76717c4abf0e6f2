package org.kimserver.api;

import java.nio.charset.StandardCharsets;
import org.osgi.annotation.versioning.ProviderType;

/** A client request: the frame head's cmd and seq, and the {@code data} field of its body. */
@ProviderType
public interface Request {

    /** The command number, as sent (requests are odd by convention). */
    int cmd();

    /** The sequence number, echoed in the reply. */
    int seq();

    /** The body's {@code data} bytes; empty when the request carries none. The array belongs to the caller. */
    byte[] data();

    /** {@link #data()} decoded as UTF-8. */
    default String dataAsString() {
        return new String(data(), StandardCharsets.UTF_8);
    }
}
