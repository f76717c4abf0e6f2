package org.kimserver.itest;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Test;
import org.kimserver.itest.UnzippedDistribution.Result;
import org.kimserver.testkit.KimContainer;

/** The test fixtures leave nothing behind in java.io.tmpdir. */
public class TemporaryFoldersIT {
    /**
     * A test's folder of its own in java.io.tmpdir, with the distribution unzipped deeper in it, is gone once the
     * distribution is closed; a link from the home to elsewhere is deleted, not followed.
     */
    @Test
    public void aClosedDistributionTakesItsTestFolderWithIt() throws Exception {
        Path testFolder = Files.createTempDirectory("kimserver-folders");
        Path elsewhere = Files.createTempDirectory("kimserver-folders-elsewhere");
        try {
            UnzippedDistribution dist = UnzippedDistribution.unzipInto(testFolder.resolve("deeper/still"));
            try {
                Result start = dist.kimserver("start");
                assertEquals(start.output(), 0, start.exitCode());
                Files.createSymbolicLink(dist.path("elsewhere"), elsewhere);
            } finally {
                dist.close();
            }
            assertFalse("the test folder is deleted", Files.exists(testFolder));
            assertTrue("the linked folder stays", Files.isDirectory(elsewhere));
        } finally {
            KimContainer.deleteTree(testFolder);
            KimContainer.deleteTree(elsewhere);
        }
    }
}
