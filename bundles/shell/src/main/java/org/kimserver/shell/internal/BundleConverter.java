package org.kimserver.shell.internal;

import org.apache.felix.service.command.Converter;
import org.osgi.framework.Bundle;
import org.osgi.framework.BundleContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;

/**
 * Turns a bundle id, symbolic name or location typed at the console into the bundle, so that gogo.command's
 * {@code headers 0}, {@code stop 31} or {@code inspect cap osgi.wiring.package 4} work.
 *
 * <p>The gogo runtime hands command arguments over as its own token type and leaves their conversion to
 * {@link Converter} services. The one for bundles ships in gogo.jline, which kimserver does not install (its
 * console is its own): without this one every such command is refused ("Cannot coerce headers(Token) to any of
 * [(Bundle[])]").
 */
@Component(property = Converter.CONVERTER_CLASSES + "=org.osgi.framework.Bundle")
public final class BundleConverter implements Converter {
    private BundleContext context;

    @Activate
    void activate(BundleContext context) {
        this.context = context;
    }

    @Override
    public Object convert(Class<?> desiredType, Object in) {
        if (desiredType != Bundle.class || !(in instanceof CharSequence)) {
            return null;
        }
        String text = in.toString();
        for (Bundle bundle : context.getBundles()) {
            if (text.equals(Long.toString(bundle.getBundleId())) || text.equals(bundle.getSymbolicName())
                    || text.equals(bundle.getLocation())) {
                return bundle;
            }
        }
        return null; // gogo then says it cannot coerce the argument (it drops a converter's exception)
    }

    @Override
    public CharSequence format(Object target, int level, Converter escape) {
        return null;
    }
}
