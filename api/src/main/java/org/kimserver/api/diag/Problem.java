package org.kimserver.api.diag;

import java.time.Instant;
import java.util.Objects;

/**
 * One thing that is wrong and that an operator must see.
 *
 * @param subject what is wrong, named so that an operator can find it: "gate", "etc/kimserver.json",
 *                "deploy/mymodule-1.0.1.jar", "bundle 42 org.example.mymodule 1.0.1"
 * @param reason  why, in a sentence, with what to do where that is known
 * @param since   when it was first seen
 */
public record Problem(String subject, String reason, Instant since) {
    public Problem {
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(reason, "reason");
        Objects.requireNonNull(since, "since");
    }
}
