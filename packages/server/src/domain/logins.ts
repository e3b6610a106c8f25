/**
 * Logins as CompShare's guide gives them (登录GPU实例): an instance of a container image (a base
 * image, a community image, or a custom image of a container) logs in as root on port 23; one of
 * a system image (a virtual machine) as the system's own user on port 22: ubuntu on Ubuntu. A
 * Windows system is reached by remote desktop as administrator, with no SSH. The guide names no
 * other system; any other Linux logs in as root, the UHost default. Pure.
 */

export interface Login {
  user: string;
  /** 0: no SSH (remote desktop). */
  sshPort: number;
}

export const CONTAINER_LOGIN: Login = { user: "root", sshPort: 23 };

/** The login of an instance of `image`: by its kind, and for a system image by its OS name. */
export function loginOf(image: { container: boolean; osName: string }): Login {
  if (image.container) return CONTAINER_LOGIN;
  const os = image.osName.toLowerCase();
  if (os.includes("windows")) return { user: "administrator", sshPort: 0 };
  if (os.includes("ubuntu")) return { user: "ubuntu", sshPort: 22 };
  return { user: "root", sshPort: 22 };
}
