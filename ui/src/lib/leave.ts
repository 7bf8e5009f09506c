// A screen holding something that is lost when one leaves it (a new secret shown once) sets a
// guard; the sidebar and the search then ask before leaving.
import { createContext } from "react";

export const LeaveGuardContext = createContext<(message: string | null) => void>(() => {});
