package org.kimserver.config.internal;

import java.nio.file.Path;
import java.util.Locale;
import org.osgi.framework.BundleContext;

/** The framework properties the launcher sets for every kimserver process. */
final class KimserverHome {
    static final String HOME_PROPERTY = "kimserver.home";
    static final String PROCESS_PROPERTY = "kimserver.process";

    private KimserverHome() {
    }

    /** The distribution folder that holds etc/, log/ and data/. */
    static Path of(BundleContext context) {
        String home = context.getProperty(HOME_PROPERTY);
        if (home == null || home.isBlank()) {
            throw new IllegalStateException("framework property " + HOME_PROPERTY + " is not set");
        }
        return Path.of(home).toAbsolutePath();
    }

    /** M0 for the manager, W&lt;n&gt; for worker n. */
    static String processTag(BundleContext context) {
        String tag = context.getProperty(PROCESS_PROPERTY);
        return tag == null || tag.isBlank() ? "M0" : tag;
    }

    /** This process's own folder under data/ (data/m0, data/w1, ...), which also holds its framework cache. */
    static Path processData(BundleContext context) {
        return of(context).resolve("data").resolve(processTag(context).toLowerCase(Locale.ROOT));
    }
}
