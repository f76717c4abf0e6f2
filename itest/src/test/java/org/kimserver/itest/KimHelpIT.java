package org.kimserver.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.After;
import org.junit.Test;
import org.kimserver.itest.UnzippedDistribution.Result;

/** {@code help kim:<command>} describes every kim command the running distribution has. */
public class KimHelpIT {
    private UnzippedDistribution dist;

    @After
    public void stopIfRunning() throws Exception {
        if (dist != null) {
            dist.close();
        }
    }

    private Result kimserver(String... args) throws Exception {
        return dist.kimserver(args);
    }

    @Test
    public void everyKimCommandHasADescription() throws Exception {
        dist = UnzippedDistribution.unzip("kimserver-help");
        Result start = kimserver("start");
        assertEquals(start.output(), 0, start.exitCode());

        Result all = kimserver("console", "help");
        assertEquals(all.output(), 0, all.exitCode());
        List<String> commands = all.output().lines().map(String::strip).filter(l -> l.matches("kim:\\w+")).toList();
        assertTrue(all.output(), commands.containsAll(List.of("kim:info", "kim:log")));
        List<String> undescribed = new ArrayList<>();
        for (String command : commands) {
            Result help = kimserver("console", "help " + command);
            String function = command.substring("kim:".length());
            // gogo's help: "<function> - <description>" when the method has a @Descriptor, then its options.
            if (help.exitCode() != 0
                    || !Pattern.compile("(?m)^" + function + " - \\S").matcher(help.output()).find()) {
                undescribed.add(command + ":\n" + help.output());
            }
        }
        assertEquals("commands without a description in help", List.of(), undescribed);
    }
}
