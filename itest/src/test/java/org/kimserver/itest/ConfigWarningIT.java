package org.kimserver.itest;

import static org.junit.Assert.assertEquals;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.After;
import org.junit.Before;
import org.junit.Test;
import org.kimserver.itest.UnzippedDistribution.Result;

/** A misspelled key of etc/kimserver.json at start: one warning on the terminal, and one in log/kimserver.log. */
public class ConfigWarningIT {
    private static final String WARNING = "unknown key 'keep_alvie' is ignored; did you mean 'keep_alive'?";

    private UnzippedDistribution dist;

    @Before
    public void unzip() throws Exception {
        dist = UnzippedDistribution.unzip("kimserver-warning");
    }

    @After
    public void stop() throws Exception {
        dist.close();
    }

    private static int count(String text, String what) {
        Matcher m = Pattern.compile(Pattern.quote(what)).matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    @Test
    public void aMisspelledKeyIsWarnedOnceOnTheTerminalAndOnceInTheLog() throws Exception {
        dist.editConfig(json -> json.replaceFirst("\\{", "{\n  \"keep_alvie\": 100,"));
        Result start = dist.kimserver("start");
        assertEquals(start.output(), 0, start.exitCode());
        UnzippedDistribution.await("the warning in log/kimserver.log", 10, () -> dist.log().contains(WARNING));
        Thread.sleep(2000); // two more checks of the file
        Result stop = dist.kimserver("stop");
        assertEquals(stop.output(), 0, stop.exitCode());
        // start prints what the JVM printed while starting (log/console.out): the launcher's line, and before
        // this was fixed, the same warning from the config bundle through Pax Logging's default console output.
        assertEquals(start.output(), 1, count(start.output(), WARNING));
        assertEquals(dist.log(), 1, count(dist.log(), WARNING));
    }
}
