package org.kimserver.launcher;

import static org.junit.Assert.assertEquals;

import java.nio.file.Path;
import java.util.Map;
import org.junit.Test;
import org.osgi.framework.Constants;

public class ContainerTest {
    private static final Path HOME = Path.of("/srv/kimserver");

    /** Two processes on one home never share a framework cache or fileinstall's working folder. */
    @Test
    public void eachProcessKeepsItsStateInADataFolderOfItsOwn() {
        Map<String, String> manager = Container.frameworkProperties(HOME, "M0", 4);
        assertEquals("/srv/kimserver/data/m0/cache", manager.get(Constants.FRAMEWORK_STORAGE));
        assertEquals("/srv/kimserver/data/m0/tmp/fileinstall", manager.get("felix.fileinstall.tmpdir"));
        assertEquals("M0", manager.get("kimserver.process"));

        Map<String, String> worker = Container.frameworkProperties(HOME, "W12", 4);
        assertEquals("/srv/kimserver/data/w12/cache", worker.get(Constants.FRAMEWORK_STORAGE));
        assertEquals("/srv/kimserver/data/w12/tmp/fileinstall", worker.get("felix.fileinstall.tmpdir"));
        assertEquals("W12", worker.get("kimserver.process"));
        // What they do share: the home and the deploy folder every process deploys from.
        assertEquals("/srv/kimserver", worker.get("kimserver.home"));
        assertEquals(manager.get("felix.fileinstall.dir"), worker.get("felix.fileinstall.dir"));
    }
}
