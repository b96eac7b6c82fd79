/** The user asked their system for less motion (`prefers-reduced-motion: reduce`): no smooth scrolling or animation. */
export const reducedMotion = (): boolean => window.matchMedia('(prefers-reduced-motion: reduce)').matches;
