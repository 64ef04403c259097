// What every page module exports.
export interface MountedPage {
  dispose(): void | Promise<void>;
}

export interface PageModule {
  /** The hash route: #/<id>. */
  readonly id: string;
  readonly title: string;
  /** One line under the title. */
  readonly blurb: string;
  /** Builds the page into `root` (the current tfjs backend is already active). */
  mount(root: HTMLElement): MountedPage;
}
