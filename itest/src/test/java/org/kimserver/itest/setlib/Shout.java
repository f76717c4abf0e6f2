package org.kimserver.itest.setlib;

import java.util.Locale;

/** Packed into a library bundle that a test module needs and the server does not ship (BundleSetIT). */
public final class Shout {
    private Shout() {
    }

    public static String shout(String text) {
        return text.toUpperCase(Locale.ROOT) + "!";
    }
}
